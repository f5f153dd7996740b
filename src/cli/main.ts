/**
 * The `fmnist` command line: the only reader of argv. Commands are thin: they parse options,
 * call the library, and print.
 */
import { Command, CommanderError } from 'commander';
import { asUserError, errorMessage } from '../util/errors.ts';
import { parse } from './context.ts';
import { registerAll } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('fmnist')
    .description('Fashion-MNIST from raw files to trained, tuned, cross-validated and transfer-learned classifiers')
    .option('--backend <name>', 'auto|native|wasm|cpu|tensorflow (env FMNIST_BACKEND)')
    .option('--threads <n>', 'threads for the native backend (env FMNIST_THREADS; default all cores)', parse.int('--threads', 1))
    .option('--precision <mode>', 'auto|fp32|bf16: bf16 runs convolutions and large matrix products on bf16 inputs with float32 accumulation (native backend, CPUs with AMX or AVX512-BF16); auto picks bf16 where it is native and faster (env FMNIST_PRECISION)')
    .option('--data-dir <dir>', 'folder with the four Fashion-MNIST IDX files (env FMNIST_DATA_DIR)')
    .option('--json', 'print one JSON document for machines')
    .option('--debug', 'show stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAll(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command may set process.exitCode to report partial failure (e.g. one unreadable image).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its own one-line message (or the help/version text).
      return err.exitCode;
    }
    // Problems the user can fix — their input, or the machine (a full disk, a read-only folder, a
    // locked database) — are one line and exit 2; only the rest is called a bug.
    const user = asUserError(err);
    if (user) {
      process.stderr.write(`fmnist: ${user.message}\n`);
      if (debug && user.stack) process.stderr.write(user.stack + '\n');
      return user.exitCode;
    }
    process.stderr.write(`fmnist: ${errorMessage(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    else process.stderr.write('(this is a bug; run again with --debug for the stack trace)\n');
    return 1;
  }
}
