import type { Command } from 'commander';
import { DEFAULT_SHELL_CMD } from '../interactive/shell-stream.js';
import type { SecurityProfileName } from '../security/security-profile.js';
import type { CreateSessionRequest } from '../session/create-request.js';
import type { MountSpec, PortSpec } from '../spec/container-spec.js';
import { clientFor, type GlobalOptions } from './client-factory.js';
import { warnLocalBackend } from './local-warning.js';
import { collect, duration, keyValues, positiveNumber, secretValues } from './parse.js';
import { healthFlags, mountFlag, publishFlag, volumeFlag, type HealthFlags } from './run-options.js';
import { runTerminal } from './terminal.js';

interface RunFlags extends HealthFlags {
  name?: string;
  image?: string;
  variant?: string;
  template?: string;
  memory?: string;
  cpus?: string;
  env?: string[];
  secretEnv?: string[];
  envFromHost?: string[];
  label?: string[];
  volume?: string[];
  mount?: string[];
  publish?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  ttl?: string;
  idleTimeout?: string;
  backend?: string;
  tty?: boolean;
  interactive?: boolean;
  detach?: boolean;
  rm?: boolean;
  security?: string;
  network?: string;
  join?: string;
  dns?: string[];
  alias?: string[];
}

const EXAMPLES = `
Examples:
  $ berth run --name dev                                 # a sandbox from the default template
  $ berth run --name web -p 8080:80 -e MODE=dev berth-base:debian-bookworm sh -c 'exec httpd -f -p 80'
  $ berth run --rm -v ./src:/workspace/src:ro berth-base:debian-bookworm ls /workspace/src
  $ berth run -it --name box berth-base:debian-bookworm  # create and attach a terminal
  $ berth run --ttl 10m --memory 256m --health-cmd 'test -f /tmp/ok' --name job`;

/** The request `berth run` sends, from its flags, image and command. */
export function runRequest(o: RunFlags, positional: string[]): CreateSessionRequest {
  const image = o.image || o.variant ? undefined : positional[0];
  const cmd = image === undefined ? positional : positional.slice(1);
  const env = keyValues(o.env, '--env');
  const secretEnv = secretValues(o.secretEnv, o.envFromHost);
  const labels = keyValues(o.label, '--label');
  const cpus = positiveNumber(o.cpus, '--cpus');
  const ttlMs = duration(o.ttl, '--ttl');
  const idleTimeoutMs = duration(o.idleTimeout, '--idle-timeout');
  const mounts: MountSpec[] = [...(o.volume ?? []).map(volumeFlag), ...(o.mount ?? []).map(mountFlag)];
  const ports: PortSpec[] = (o.publish ?? []).map(publishFlag);
  const healthcheck = healthFlags(o);
  const terminal = o.tty ?? false;
  const spec = {
    ...(cmd.length ? { cmd } : terminal ? { cmd: DEFAULT_SHELL_CMD } : {}),
    ...(terminal ? { tty: true, openStdin: true } : {}),
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user ? { user: o.user } : {}),
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint === '' ? [] : [o.entrypoint] } : {}),
    ...(mounts.length ? { mounts } : {}),
    ...(ports.length ? { ports } : {}),
    ...(healthcheck ? { healthcheck } : {}),
  };
  return {
    ...(o.name ? { name: o.name } : {}),
    ...((o.image ?? image) ? { image: o.image ?? image } : {}),
    ...(o.variant ? { variant: o.variant as 'ubuntu' | 'alpine' } : {}),
    ...(o.template ? { template: o.template } : {}),
    ...(o.memory ? { memory: o.memory } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(env ? { env } : {}),
    ...(secretEnv ? { secretEnv } : {}),
    ...(labels ? { labels } : {}),
    ...(ttlMs ? { ttlMs } : {}),
    ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
    ...(o.backend ? { backend: o.backend as 'engine' | 'local' } : {}),
    ...(Object.keys(spec).length ? { spec } : {}),
    ...(o.rm ? { removeOnExit: true } : {}),
    ...(o.security ? { security: o.security as SecurityProfileName } : {}),
    ...(o.network || o.join || o.dns || o.alias
      ? {
          network: {
            policy: (o.network ?? (o.join ? 'isolated' : 'none')) as 'none',
            ...(o.join ? { join: o.join } : {}),
            ...(o.dns ? { dns: o.dns } : {}),
            ...(o.alias ? { aliases: o.alias } : {}),
          },
        }
      : {}),
  };
}

/** `berth run [OPTIONS] [IMAGE] [COMMAND [ARG...]]`, docker's habits alongside `--image`. */
export function registerRunCommand(program: Command): void {
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  program
    .command('run')
    .description('create and start a session; prints its id (or, with -it, attaches a terminal)')
    .usage('[options] [IMAGE] [COMMAND [ARG...]]')
    .argument('[image-and-command...]', 'image (default: the template\'s; with --image or --variant every word is the command), then the main command and its arguments')
    .passThroughOptions()
    .option('--name <name>', 'session name (unique among sessions that have not ended)')
    .option('--image <image>', 'image (default: the template\'s)')
    .option('--variant <variant>', "one of berth's base images instead of --image: ubuntu or alpine (built on first use, reused while current)")
    .option('--template <name>', 'session template')
    .option('-m, --memory <size>', 'memory limit, e.g. 512m')
    .option('--cpus <n>', 'CPU cores, e.g. 0.5')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect)
    .option('--secret-env <K[=V]>', 'secret environment variable, shown only as *** (repeatable); K alone takes its value from your environment, which keeps it out of ps', collect)
    .option('--env-from-host <pattern>', 'take your environment\'s variables matching this glob, e.g. \'DATABRICKS_*\', as secret env (repeatable)', collect)
    .option('-l, --label <K=V>', 'label (repeatable)', collect)
    .option('-v, --volume <src:dst[:ro]>', 'bind a host path (absolute or ./relative) or mount a named volume (repeatable; the mount policy applies)', collect)
    .option('--mount <spec>', 'type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)', collect)
    .option('-p, --publish <[ip:][host:]port>', 'publish a port (repeatable; binds 127.0.0.1 unless an IP is given)', collect)
    .option('-w, --workdir <dir>', 'working directory of the main command')
    .option('-u, --user <user>', 'user of the main command (uid, uid:gid or name)')
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint ("" for none)')
    .option('--ttl <duration>', 'end the session after this long (5s, 10m, 2h; a plain number is ms)')
    .option('--idle-timeout <duration>', 'end the session after this long without exec (a plain number is ms)')
    .option('--rm', 'end the session (remove its container) when its main process exits')
    .option('-d, --detach', 'print the id and return (the default unless -it)')
    .option('-i, --interactive', 'with -t: attach this terminal to the main process')
    .option('-t, --tty', 'the main process runs on a TTY (default command: a shell); with -i, attach now')
    .option('--health-cmd <cmd>', 'health check, run with sh -c')
    .option('--health-interval <duration>', 'between checks (default 30s)')
    .option('--health-timeout <duration>', 'a check taking longer fails (default 5s)')
    .option('--health-retries <n>', 'failures in a row before unhealthy (default 3)')
    .option('--health-start-period <duration>', 'failures do not count this long after start (default 0)')
    .option('--backend <backend>', "engine (a container) or local (a host directory, no isolation); default the daemon's")
    .option('--security <profile>', 'standard (default) or strict (read-only root, no caps, non-root, no network)')
    .option('--network <policy>', 'none (default: only lo), isolated (a network of its own, no route out) or bridge (egress)')
    .option('--join <session>', "with --network isolated: join this session's isolated network")
    .option('--dns <ip>', 'extra DNS server (repeatable)', collect)
    .option('--alias <name>', 'with --network isolated: a name it answers to (repeatable; default the session name)', collect)
    .addHelpText('after', EXAMPLES)
    .action(async (positional: string[], o: RunFlags) => {
      const request = runRequest(o, positional);
      const c = await clientFor(g());
      const s = await c.sessions.create(request);
      if (s.backend === 'local') warnLocalBackend(s.id);
      if (o.interactive && o.tty && !o.detach) {
        const shell = await c.sessions.attach(s.id, process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {});
        return runTerminal(shell);
      }
      process.stdout.write(`${s.id}\n`);
    });
}
