// The design tokens of styles.css (`:root { --name: value }`) read from TypeScript, so that
// colours drawn on a canvas (charts) or set inline follow the one theme in the stylesheet.

const cache = new Map<string, string>();

/** The value of the custom property `--name` on the document (e.g. `token("chart-1")`). */
export function token(name: string): string {
  let v = cache.get(name);
  if (v === undefined) {
    v = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
    // Not cached while the stylesheet is not applied yet (an empty value).
    if (v) cache.set(name, v);
  }
  return v;
}

/** The values of `--{prefix}1` … `--{prefix}N`, in order (a palette). */
export function tokenList(prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = token(`${prefix}${i}`);
    if (!v) return out;
    out.push(v);
  }
}

/**
 * A `:root { … }` rule declaring every token that `css` uses through `var(--name)`, with its
 * current value: for a standalone copy of a page (the HTML snapshot) that lacks styles.css.
 */
export function rootRuleFor(css: string): string {
  const names = new Set([...css.matchAll(/var\(--([\w-]+)/g)].map((m) => m[1]));
  return `:root{${[...names].map((n) => `--${n}:${token(n)}`).join(";")}}`;
}
