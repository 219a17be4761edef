// Browser builds of third-party libraries (copied into dist/vendor by copy-static.mjs),
// loaded as classic scripts when a screen first needs them rather than by index.html:
// the first screen does not wait for them.

const loading = new Map<string, Promise<void>>();

/** Loads `dist/vendor/<file>` once; later calls share the same promise. */
export function loadVendor(file: string): Promise<void> {
  let p = loading.get(file);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = `./vendor/${file}`;
      s.onload = () => resolve();
      s.onerror = () => {
        loading.delete(file);
        s.remove();
        reject(new Error(`could not load ${file}`));
      };
      document.head.appendChild(s);
    });
    loading.set(file, p);
  }
  return p;
}

/** Chart.js (its UMD build: the global `Chart`), for the screens that draw charts. */
export function loadCharts(): Promise<void> {
  return loadVendor("chart.umd.min.js");
}
