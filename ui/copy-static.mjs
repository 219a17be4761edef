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
// Chart.js's UMD build (every chart type registered, the global `Chart`), loaded by the
// screens that draw charts (src/shared/vendor.ts): no bundler, no network.
mkdirSync(join(dist, "vendor"), { recursive: true });
copyFileSync(join(here, "node_modules", "chart.js", "dist", "chart.umd.min.js"), join(dist, "vendor", "chart.umd.min.js"));
// flatpickr (the date controls' calendar): its browser build (the global `flatpickr`), its
// French words (registered on that global) and its stylesheet.
const fp = join(here, "node_modules", "flatpickr", "dist");
copyFileSync(join(fp, "flatpickr.min.js"), join(dist, "vendor", "flatpickr.min.js"));
copyFileSync(join(fp, "l10n", "fr.js"), join(dist, "vendor", "flatpickr-fr.js"));
copyFileSync(join(fp, "flatpickr.min.css"), join(dist, "vendor", "flatpickr.min.css"));
console.log("copied index.html, styles.css, vendor/{chart.umd.min.js, flatpickr.min.js, flatpickr-fr.js, flatpickr.min.css} -> dist/");
