// `cambium help [<command>]`: the list of commands, or one command's usage and options.
'use strict';

const { CliError } = require('../errors');

/** One command's usage and options, as `<command> --help` prints them. */
function usage(command) {
  const lines = [`usage: cambium ${command.name}${command.usage ? ` ${command.usage}` : ''}`, '', command.summary];
  if (command.options.length) {
    lines.push('', 'options:');
    for (const option of command.options) {
      const short = option.short ? `-${option.short}, ` : '';
      const flag = `${short}--${option.long}${option.value ? ' <value>' : ''}`;
      lines.push(`  ${flag.padEnd(26)} ${option.help}`);
    }
  }
  return lines.join('\n');
}

/** The list of every command with its summary. */
function overview(commands) {
  const lines = ['usage: cambium <command> [<args>]', '', 'Valid commands for cambium are'];
  // Summaries line up after the longest name.
  const width = Math.max(...commands.map((command) => command.name.length));
  for (const command of commands) lines.push(`    ${command.name.padEnd(width)} - ${command.summary}`);
  lines.push('', "Run 'cambium help <command>' or 'cambium <command> --help' for a command's options.");
  return lines.join('\n');
}

module.exports = {
  name: 'help',
  summary: 'Show the commands, or the usage of one.',
  usage: '[<command>]',
  repo: 'none',
  options: [],
  usageOf: usage,
  overview,
  async run({ args, out, commands }) {
    if (args.length === 0) {
      out(overview(commands));
      return;
    }
    const command = commands.find((c) => c.name === args[0]);
    if (!command) throw new CliError(`cambium: '${args[0]}' is not a cambium command. See 'cambium help'.`);
    out(usage(command));
  },
};
