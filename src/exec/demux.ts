import { Writable } from 'node:stream';

const HEADER = 8;
const STDOUT = 1;
const STDERR = 2;

export interface DemuxTargets {
  stdout: Writable;
  stderr: Writable;
}

/**
 * A Writable that splits the engine's multiplexed stream (8-byte header: type,
 * 3 zero bytes, uint32 BE length; see docker-modem `demuxStream`) into stdout and
 * stderr, honouring backpressure of both targets. Ends both targets when it finishes.
 */
export function createDemuxer(targets: DemuxTargets): Writable {
  let pending: Buffer = Buffer.alloc(0);
  let type = 0;
  let remaining = 0;

  const emit = async (chunk: Buffer) => {
    const target = type === STDERR ? targets.stderr : type === STDOUT ? targets.stdout : undefined;
    if (!target || chunk.length === 0) return;
    if (!target.write(chunk)) await waitDrain(target);
  };

  return new Writable({
    async write(chunk: Buffer, _enc, callback) {
      try {
        let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        pending = Buffer.alloc(0);
        while (buf.length) {
          if (remaining === 0) {
            if (buf.length < HEADER) {
              pending = Buffer.from(buf);
              break;
            }
            type = buf[0] ?? 0;
            remaining = buf.readUInt32BE(4);
            buf = buf.subarray(HEADER);
            continue;
          }
          const take = Math.min(remaining, buf.length);
          remaining -= take;
          await emit(buf.subarray(0, take));
          buf = buf.subarray(take);
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    final(callback) {
      targets.stdout.end();
      targets.stderr.end();
      callback();
    },
    destroy(err, callback) {
      if (err) {
        targets.stdout.destroy(err);
        targets.stderr.destroy(err);
      }
      callback(err);
    },
  });
}

function waitDrain(target: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      target.off('drain', onDrain);
      target.off('close', onClose);
      target.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done();
    target.once('drain', onDrain);
    target.once('close', onClose);
    target.once('error', done);
  });
}
