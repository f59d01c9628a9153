/** A container name as berth shows it: the engine's, without the leading `/` of Docker's API. */
export function plainName(name: string): string {
  return name.replace(/^\//, '');
}

/** A container's name in a list answer (its first name), or '' when it has none. */
export function listedName(row: { Names?: string[] }): string {
  return plainName(row.Names?.[0] ?? '');
}
