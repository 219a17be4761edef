// Copies the static sources (HTML, CSS) next to the compiled JS in dist/.
// dev/ (the in-browser mock and screenshot script) is deliberately not copied.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
mkdirSync(dist, { recursive: true });
for (const f of ["index.html", "styles.css"]) {
  copyFileSync(join(here, f), join(dist, f));
}
console.log("copied index.html, styles.css -> dist/");
