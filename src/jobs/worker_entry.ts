/** Process entry of a tuning/CV worker (forked by ProcessPoolScheduler); see worker.ts. */
import { serveJobs } from './worker.ts';

await serveJobs();
