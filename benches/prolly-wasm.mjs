// Runs the prolly workloads of src/bench.rs inside wasm under Node and prints one line of JSON
// per figure. Expects the Node build made by scripts/bench.sh in target/bench-pkg.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { runProllyBench } = require('../target/bench-pkg/cambium.js');

const full = !process.argv.includes('--smoke');
console.log(runProllyBench(full));
