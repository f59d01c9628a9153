import { describe, expect, it } from 'vitest';
import { BerthError, COMMAND_EXIT, ERROR_CODES, EXIT_STATUS, HTTP_STATUS } from '../../src/index.js';
import { translateEngineError } from '../../src/engine/errors.js';

const modemError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });

describe('translateEngineError', () => {
  it.each([
    [404, 'NotFound'],
    [409, 'Conflict'],
    [400, 'InvalidArgument'],
    [500, 'Internal'],
    [403, 'PolicyDenied'],
  ])('maps HTTP %i to %s and keeps the engine message and cause', (status, code) => {
    const cause = modemError(status, 'engine says no');
    const e = translateEngineError(cause, 'stop container abc');
    expect(e.code).toBe(code);
    expect(e.message).toBe('stop container abc: engine says no');
    expect(e.cause).toBe(cause);
    expect(e.details.engineStatus).toBe(status);
  });

  it('maps connection failures to EngineUnavailable with a hint', () => {
    const e = translateEngineError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ping');
    expect(e.code).toBe('EngineUnavailable');
    expect(e.message).toContain('bootstrap-engines.sh');
  });

  it('passes BerthErrors through unchanged', () => {
    const orig = new BerthError('Timeout', 'slow');
    expect(translateEngineError(orig, 'x')).toBe(orig);
  });
});

describe('error tables', () => {
  it("gives every code an HTTP status, and the CLI exit status 125 (docker's), never a command's", () => {
    for (const code of ERROR_CODES) {
      expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(EXIT_STATUS[code]).toBe(125);
    }
    expect(COMMAND_EXIT).toEqual({ timedOut: 124, notExecutable: 126, notFound: 127 });
  });

  it('serialises to { code, message, details }', () => {
    const e = new BerthError('NotFound', 'no session s1', { details: { id: 's1' } });
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'NotFound', message: 'no session s1', details: { id: 's1' } });
    expect(e.httpStatus).toBe(404);
    expect(BerthError.from(new Error('boom')).code).toBe('Internal');
  });
});
