/**
 * Stopping long work on request, without global state: whoever starts the work makes an
 * `AbortSignal` and passes it down (train → job runner → scheduler → tune/cv/study); the training
 * loop stops at its next batch boundary once it is aborted, leaving its last checkpoint intact.
 *
 * `interruptOnSignals` is the Ctrl-C policy of the command line: the first SIGINT/SIGTERM aborts
 * the signal (the work stops after the current batch), a second one exits at once with 130.
 */
import { UserError } from './errors.ts';

/** Work stopped because its signal was aborted (exit code 130, as for a shell's Ctrl-C). */
export class Interrupted extends UserError {
  constructor(message: string) {
    super(message, 130);
    this.name = 'Interrupted';
  }
}

export interface SignalOptions {
  /** Process signals to listen to (default SIGINT and SIGTERM). */
  signals?: NodeJS.Signals[];
  /** Called on the second signal, after the line (default: exit with 130). */
  exit?: () => void;
}

/**
 * An AbortSignal that the first SIGINT/SIGTERM aborts — saying so through `say` — while a second
 * one exits the process at once. The handlers stay for the life of the process.
 */
export function interruptOnSignals(say: (line: string) => void, o: SignalOptions = {}): AbortSignal {
  const controller = new AbortController();
  const exit = o.exit ?? (() => process.exit(130));
  const handler = () => {
    if (controller.signal.aborted) return exit();
    controller.abort(new Interrupted('interrupted'));
    say('stopping after this batch (again to quit at once)…');
  };
  for (const s of o.signals ?? ['SIGINT', 'SIGTERM']) process.on(s, handler);
  return controller.signal;
}
