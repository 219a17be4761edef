// lab screens: French (default) and English strings, merged into the app dictionary by
// ../i18n.ts. Every key in fr must exist in en (the type enforces it).
export const fr = {
} as const;

export const en: Record<keyof typeof fr, string> = {
};
