import { Berth } from '../../src/index.js';
import { TEST_LABEL } from './names.js';

/** Removes every container, then every volume, network and image, carrying this run's test label on one engine; returns how many objects. */
export async function removeRunObjects(engine: 'docker' | 'podman'): Promise<number> {
  const run = process.env.BERTH_TEST_RUN;
  if (!run) return 0;
  let berth: Berth;
  try {
    berth = await Berth.connect({ engine });
  } catch {
    return 0;
  }
  const rows = await berth.engineClient.listContainers([`${TEST_LABEL}=${run}`], true);
  await Promise.all(rows.map((r) => berth.engineClient.removeContainer(r.Id, { force: true, volumes: true })));
  const volumes = await berth.engineClient.volumes.list([`${TEST_LABEL}=${run}`]);
  await Promise.all(volumes.map((v) => berth.engineClient.volumes.remove(v.name).catch(() => undefined)));
  // Networks after containers: a network with a container attached cannot be removed.
  const nets = await berth.engineClient.networks.list([`${TEST_LABEL}=${run}`]);
  for (const n of nets) await berth.engineClient.networks.remove(n.id).catch(() => undefined);
  const images = await berth.engineClient.listImages([`${TEST_LABEL}=${run}`]);
  for (const img of images) await berth.engineClient.removeImage(img.id, { force: true }).catch(() => undefined);
  await berth.close();
  return rows.length + volumes.length + nets.length + images.length;
}
