// The CLI's errors and how every failure is shown: a message that says what went wrong, on
// stderr, and a non-zero exit status.
'use strict';

/** A failure the CLI itself diagnosed; its message is shown as it is. */
class CliError extends Error {
  constructor(message, status = 1) {
    super(message);
    this.status = status;
  }
}

/** What Dolt says outside a database directory, with Cambium's name. */
const NOT_A_REPOSITORY = 'The current directory is not a valid cambium repository.';

/**
 * The text shown for `err`: a CLI error as it is; an error from the database with its code
 * (`error: <message> [<code>]`, keeping Dolt's own `error:`/`fatal:` prefixes); anything else
 * (a bug) with its stack, so it can be reported.
 */
function describe(err) {
  if (err instanceof CliError) return err.message;
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    const prefixed = /^(error|fatal):/.test(err.message);
    return `${prefixed ? '' : 'error: '}${err.message} [${err.code}]`;
  }
  return `error: ${err && err.stack ? err.stack : String(err)}`;
}

module.exports = { CliError, NOT_A_REPOSITORY, describe };
