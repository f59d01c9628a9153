import type { Command } from 'commander';

const words = (cmd: Command): string[] => [
  ...cmd.commands.map((c) => c.name()),
  ...cmd.options.flatMap((o) => [o.short, o.long].filter((x): x is string => !!x)),
];

/** Commands and their options as `path → words` (`''` is the top level, `network` a group). */
function table(program: Command): Array<[string, string[]]> {
  const rows: Array<[string, string[]]> = [['', words(program)]];
  const walk = (cmd: Command, prefix: string) => {
    for (const c of cmd.commands) {
      const path = prefix ? `${prefix} ${c.name()}` : c.name();
      rows.push([path, words(c)]);
      walk(c, path);
    }
  };
  walk(program, '');
  return rows;
}

/** A bash completion script for the command tree (`source <(berth completion bash)`). */
export function bashCompletion(program: Command): string {
  const cases = table(program)
    .map(([path, w]) => `    "${path}") words="${w.join(' ')}" ;;`)
    .join('\n');
  return `# berth completion for bash: source <(berth completion bash)
_berth() {
  local cur path="" w words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${table(program).filter(([p]) => p).map(([p]) => `      "${p}") path="${p}" ;;`).join('\n')}
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  if [[ $cur != -* ]] && [[ " run exec logs stop start rm inspect shell attach stats health cp fork " == *" \${path##* } "* ]]; then
    words="$words $(berth ps -a --format '{{.Name}}' 2>/dev/null)"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _berth berth
`;
}

/** A zsh completion script (`source <(berth completion zsh)`), through bash's with bashcompinit. */
export function zshCompletion(program: Command): string {
  return `# berth completion for zsh: source <(berth completion zsh)
autoload -Uz bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
