// `cambium remote-server`: serves the databases under a directory to remotes over HTTP
// (docs/remote-protocol.md) until SIGINT or SIGTERM, then stops cleanly.
'use strict';

const { CliError } = require('../errors');
const { listen } = require('../server');

const PORT_MAX = 65_535;

/** Resolves at the first SIGINT or SIGTERM. */
function stopSignal() {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

module.exports = {
  name: 'remote-server',
  summary: 'Serve the databases under a directory as remotes over HTTP.',
  usage: '--dir <dir> --port <port> [--host <host>] [--auth <file>] [--cors <origin>]...',
  repo: 'none',
  options: [
    { long: 'dir', value: true, help: 'the directory of the databases, one subdirectory each (created when absent)' },
    { long: 'port', value: true, help: 'the port to listen on; 0 picks a free one' },
    { long: 'host', value: true, help: 'the address to listen on (default 127.0.0.1)' },
    { long: 'auth', value: true, help: 'a JSON file of tokens; every request then needs one' },
    { long: 'cors', value: true, many: true, help: 'an origin browsers may call from (repeatable; * for any)' },
  ],
  async run({ opts, args, out }) {
    if (args.length) throw new CliError(`error: remote-server takes no arguments, got '${args[0]}'`);
    if (typeof opts.dir !== 'string' || opts.dir === '') {
      throw new CliError('error: remote-server needs --dir <dir>, the directory of the databases');
    }
    const port = Number(opts.port);
    if (typeof opts.port !== 'string' || !/^\d+$/.test(opts.port) || port > PORT_MAX) {
      throw new CliError(`error: remote-server needs --port <port>, a number from 0 to ${PORT_MAX}`);
    }
    const host = opts.host === undefined ? '127.0.0.1' : opts.host;
    // Listening before waiting for a signal: a signal during start-up stops the process as usual.
    const server = await listen({ dir: opts.dir, port, host, auth: opts.auth, cors: opts.cors });
    out(`Serving databases under ${opts.dir} at ${server.url}`);
    await stopSignal();
    await server.close();
  },
};
