/** Audit entries name the HTTP route; people read the action (what `berth` command did it). */
const ACTIONS: ReadonlyArray<[RegExp, string]> = [
  [/^POST \/v1\/sessions$/, 'session create'],
  [/^POST \/v1\/sessions\/prune$/, 'session prune'],
  [/^DELETE \/v1\/sessions\/:id$/, 'session remove'],
  [/^POST \/v1\/sessions\/:id\/(start|stop|fork)$/, 'session $1'],
  [/^POST \/v1\/sessions\/:id\/exec(\/stream)?$/, 'exec'],
  [/^GET \/v1\/sessions\/:id\/(shell|attach)$/, '$1'],
  [/^POST \/v1\/sessions\/:id\/defaults$/, 'session defaults'],
  [/^(PUT|POST) \/v1\/sessions\/:id\/files$/, 'file write'],
  [/^DELETE \/v1\/sessions\/:id\/files$/, 'file delete'],
  [/^POST \/v1\/sessions\/:id\/mkdir$/, 'file mkdir'],
  [/^PUT \/v1\/sessions\/:id\/archive$/, 'copy in'],
  [/^GET \/v1\/sessions\/:id\/archive$/, 'copy out'],
  [/^POST \/v1\/networks$/, 'network create'],
  [/^DELETE \/v1\/networks\/:id$/, 'network remove'],
  [/^POST \/v1\/networks\/:id\/(connect|disconnect)$/, 'network $1'],
  [/^POST \/v1\/(networks|volumes|images)\/prune$/, '$1 prune'],
  [/^POST \/v1\/volumes$/, 'volume create'],
  [/^DELETE \/v1\/volumes\/:name$/, 'volume remove'],
  [/^POST \/v1\/images\/(build|ensure)$/, 'image $1'],
  [/^DELETE \/v1\/images\/:name$/, 'image remove'],
  [/^POST \/v1\/workflows\/runs$/, 'workflow run'],
  [/^POST \/v1\/workflows\/runs\/:id\/cancel$/, 'workflow cancel'],
  [/^POST \/v1\/gc$/, 'gc'],
];

/** `POST /v1/sessions/:id/stop` → `session stop`; a route it does not know is shown as it is. */
export function auditAction(route: string): string {
  for (const [re, name] of ACTIONS) if (re.test(route)) return route.replace(re, name);
  return route;
}
