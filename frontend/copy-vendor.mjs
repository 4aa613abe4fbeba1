// Copy the built files and licences of the pinned front-end libraries into the Python package.
// Run: cd frontend && npm install && node copy-vendor.mjs   (the output is committed; installs need no Node)
import { cpSync, mkdirSync, readFileSync } from "node:fs";
const out = "../src/citysafe/static/vendor";
const pick = {
  leaflet: ["dist/leaflet.js", "dist/leaflet.css", "dist/images", "LICENSE"],
  echarts: ["dist/echarts.min.js", "LICENSE", "NOTICE"],
  "htmx.org": ["dist/htmx.min.js", "LICENSE"],
  bootstrap: ["dist/css/bootstrap.min.css", "dist/js/bootstrap.bundle.min.js", "LICENSE"],
  "leaflet.markercluster": ["dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
                            "dist/MarkerCluster.Default.css", "MIT-LICENCE.txt"],
};
for (const [pkg, files] of Object.entries(pick)) {
  const version = JSON.parse(readFileSync(`node_modules/${pkg}/package.json`)).version;
  const dest = `${out}/${pkg.replace(".org", "")}-${version}`;
  mkdirSync(dest, { recursive: true });
  for (const f of files) cpSync(`node_modules/${pkg}/${f}`, `${dest}/${f.split("/").pop()}`, { recursive: true });
  console.log(`${pkg}@${version} -> ${dest}`);
}
