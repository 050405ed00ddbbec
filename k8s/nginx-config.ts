// A small reader of nginx configuration files, enough for the tests to follow a location to its
// upstream and read its directives: directives are `name args… ;`, blocks are `name args… { … }`,
// `#` starts a comment, and arguments may be quoted.

export interface NginxDirective {
  name: string;
  args: string[];
  /** Present for blocks (http, server, location, upstream, map, …). */
  children?: NginxDirective[];
}

export function parseNginxConfig(text: string): NginxDirective[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (closed: boolean): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as string;
      if (token === ';') {
        const [name, ...args] = words;
        if (name === undefined) throw new Error('nginx config: empty directive');
        directives.push({ name, args });
        words = [];
      } else if (token === '{') {
        const [name, ...args] = words;
        if (name === undefined) throw new Error('nginx config: block without a name');
        directives.push({ name, args, children: parseBlock(true) });
        words = [];
      } else if (token === '}') {
        if (!closed || words.length > 0) throw new Error('nginx config: unbalanced }');
        return directives;
      } else {
        words.push(token);
      }
    }
    if (closed || words.length > 0) throw new Error('nginx config: unexpected end');
    return directives;
  };
  return parseBlock(false);
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s+|#[^\n]*|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([{};])|([^\s{};'"#]+)/gy;
  let offset = 0;
  while (offset < text.length) {
    pattern.lastIndex = offset;
    const match = pattern.exec(text);
    if (match === null) throw new Error(`nginx config: cannot read from offset ${offset}`);
    const value = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (value !== undefined) tokens.push(value);
    offset = pattern.lastIndex;
  }
  return tokens;
}

/** Depth-first: every directive named `name` under `directives`. */
export function findAll(directives: NginxDirective[], name: string): NginxDirective[] {
  const found: NginxDirective[] = [];
  for (const directive of directives) {
    if (directive.name === name) found.push(directive);
    if (directive.children) found.push(...findAll(directive.children, name));
  }
  return found;
}

/** nginx time ("3600s", "60", "5m", "1h") in seconds. */
export function nginxSeconds(value: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new Error(`not an nginx time: ${value}`);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(match[1]) * (units[match[2] ?? 's'] as number);
}
