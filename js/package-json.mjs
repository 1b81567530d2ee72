// Writes pkg/package.json, the npm package's manifest: the version and licence from Cargo.toml,
// an `exports` map that hands browsers and ES-module bundlers the web build and Node the Node
// build, the types, the remote server's HTTP handler (`cambium/server`) and the `cambium`
// command. Run by scripts/build-pkg.sh.
import { readFileSync, writeFileSync } from 'node:fs';

const [cargoToml, out] = process.argv.slice(2);
const cargo = readFileSync(cargoToml, 'utf8');
const field = (name) => {
  const match = cargo.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm'));
  if (!match) throw new Error(`${cargoToml} has no ${name}`);
  return match[1];
};

// Conditions are tried in the order written: a browser bundle takes the web build even when it
// imports, Node takes the Node build whether it imports or requires.
const manifest = {
  name: 'cambium',
  version: field('version'),
  description: field('description'),
  license: field('license'),
  main: './node/cambium.js',
  module: './web/cambium.js',
  types: './cambium.d.ts',
  exports: {
    '.': {
      types: './cambium.d.ts',
      browser: './web/cambium.js',
      node: './node/cambium.js',
      import: './web/cambium.js',
      require: './node/cambium.js',
      default: './web/cambium.js',
    },
    './web': { types: './web/cambium.d.ts', default: './web/cambium.js' },
    './node': { types: './node/cambium.d.ts', default: './node/cambium.js' },
    // The remote server's HTTP handler, to mount in an existing Node server.
    './server': { types: './bin/lib/server.d.ts', default: './bin/lib/server.js' },
    './package.json': './package.json',
  },
  bin: { cambium: 'bin/cambium.js' },
  files: ['web/', 'node/', 'bin/', 'cambium.d.ts'],
  engines: { node: '>=18' },
  sideEffects: false,
};
writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
