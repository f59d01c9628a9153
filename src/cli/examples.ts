import type { Command } from 'commander';

/** An example or two for every command that does not carry its own (shown after `--help`). */
const EXAMPLES: Readonly<Record<string, string[]>> = {
  daemon: ['berth daemon --engine podman --socket /tmp/b.sock --data-dir /tmp/b'],
  ping: ['berth ping'],
  info: ['berth info', 'berth info --json'],
  version: ['berth version'],
  completion: ['source <(berth completion bash)', 'berth completion zsh > ~/.zsh/berth.zsh'],
  mcp: ['berth mcp'],
  cp: ['berth cp ./src dev:/workspace/', 'berth cp dev:/workspace/out.txt .'],
  files: ['berth files ls dev'],
  fork: ['berth fork dev --name dev2'],
  alerts: ['berth alerts -a'],
  health: ['berth health dev'],
  network: ['berth network create lab', 'berth network connect lab web'],
  volume: ['berth volume create npm-cache', 'berth volume ls'],
  image: ['berth image ls', 'berth image build --variant ubuntu --base berth-base:debian-bookworm'],
  workflow: ['berth workflow run ci.yaml', 'berth workflow ls'],
};

/** Adds `Examples:` to each command's help that has none yet, and to subcommands of the groups. */
export function addExamples(program: Command): void {
  const visit = (cmd: Command, path: string) => {
    const own = EXAMPLES[path];
    const hasOwn = (cmd as unknown as NodeJS.EventEmitter).listeners('afterHelp').length > 0;
    const args = cmd.registeredArguments.filter((a) => a.required).map((a) => a.name().toUpperCase());
    const fallback = own ?? (cmd.commands.length ? undefined : [['berth', path, ...args].join(' ')]);
    if (!hasOwn && fallback) cmd.addHelpText('after', `\nExample${fallback.length > 1 ? 's' : ''}:\n${fallback.map((e) => `  $ ${e}`).join('\n')}`);
    for (const c of cmd.commands) visit(c, path ? `${path} ${c.name()}` : c.name());
  };
  for (const c of program.commands) visit(c, c.name());
}
