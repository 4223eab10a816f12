// Prints native source paths (relative to the package root) of the named groups in
// native/sources.json, one per line: binding.gyp expands them with <!@(...).
const path = require('node:path');
const groups = require(path.join(__dirname, '..', 'native', 'sources.json'));
for (const group of process.argv.slice(2)) {
  const files = groups[group];
  if (!Array.isArray(files)) {
    console.error(`native-sources: no group "${group}" in native/sources.json`);
    process.exit(1);
  }
  for (const file of files) console.log(`native/${file}`);
}
