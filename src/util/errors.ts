/**
 * A UserError is a problem with what the user gave us (a file, a flag, a config).
 * The CLI prints its message as one line and exits non-zero, without a stack trace
 * (unless --debug). Anything else that escapes is a bug and is shown with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
