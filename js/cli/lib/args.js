// Command-line arguments in Dolt's style: `-m msg`, `-mmsg`, grouped short flags (`-am msg`, the
// last one taking the value), `--message msg`, `--message=msg`, and `--` before arguments that
// look like flags. Each command declares its options; anything else is refused by name, so a
// typo never silently means something else.
'use strict';

const { CliError } = require('./errors');

/**
 * Parses `argv` against `options`, a list of `{ short, long, value }` (`value` says the option
 * takes an argument). Returns `{ opts, args }`: `opts` keyed by long name (`true` for a flag, the
 * string for a value, an array when `many` is set), `args` the positional arguments in order.
 */
function parse(command, argv, options) {
  const byShort = new Map();
  const byLong = new Map();
  for (const option of options) {
    if (option.short) byShort.set(option.short, option);
    byLong.set(option.long, option);
  }
  const opts = {};
  const args = [];
  const unknown = (flag) =>
    new CliError(`error: unknown option \`${flag}' for \`cambium ${command}'; see \`cambium ${command} --help'`);
  const set = (option, value) => {
    if (option.many) (opts[option.long] ||= []).push(value);
    else opts[option.long] = value;
  };
  const needValue = (option, flag) => {
    throw new CliError(`error: option \`${flag}' of \`cambium ${command}' needs a value`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const option = byLong.get(name);
      if (!option) throw unknown(`--${name}`);
      if (option.value) {
        if (eq >= 0) set(option, arg.slice(eq + 1));
        else if (i + 1 < argv.length) set(option, argv[++i]);
        else needValue(option, `--${name}`);
      } else if (eq >= 0) {
        throw new CliError(`error: option \`--${name}' of \`cambium ${command}' takes no value`);
      } else {
        set(option, true);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A group of short flags; the first one that takes a value takes the rest of the group,
      // or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const option = byShort.get(arg[j]);
        if (!option) throw unknown(`-${arg[j]}`);
        if (!option.value) {
          set(option, true);
          continue;
        }
        if (j + 1 < arg.length) set(option, arg.slice(j + 1));
        else if (i + 1 < argv.length) set(option, argv[++i]);
        else needValue(option, `-${arg[j]}`);
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { opts, args };
}

module.exports = { parse };
