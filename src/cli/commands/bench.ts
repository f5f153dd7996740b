import { Option, type Command } from 'commander';
import { runBench, formatBench, DEFAULT_PEER, PEER_PACKAGES, PYTHON } from '../../bench/bench.ts';
import { DEFAULT_STEPS, TASK_NAMES, TRAIN_STEPS, WARMUP_STEPS, type TaskName } from '../../bench/tasks.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, parse, say, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('bench')
    .description('LeNet-5 training epoch, VGG16 forward throughput, training steps of the seed backbones, ResNet-9 time to accuracy (resnet9_fast_epoch), and peak memory: ours (native, wasm) vs PyTorch, with ratios. Ours run at --precision (the global option, default auto); PyTorch runs in fp32 (the reference of the ratios and of peak memory) and, unless --precision fp32, also under bf16 autocast')
    .option('--tasks <list>', `comma-separated, from: ${TASK_NAMES.join(',')}`, 'lenet5_train_epoch,vgg16_forward')
    .option('--backends <list>', 'our backends to measure', 'native,wasm')
    .option('--peer <path>', `the PyTorch peer script, run with ${PYTHON} (needs: apt-get install ${PEER_PACKAGES})`, DEFAULT_PEER)
    .option('--no-peer', 'skip the PyTorch peer')
    .option('--images <n>', 'time a partial training epoch (LeNet-5, ResNet-9) of n images, scaled to 60,000 (quick look)', parse.int('--images', 64))
    .option('--steps <n>', `timed steps of the *_train_step tasks (after ${WARMUP_STEPS} untimed; default ${DEFAULT_STEPS}): ${Object.keys(TRAIN_STEPS).join(', ')}`, parse.int('--steps', 1))
    .addOption(new Option('--worker <task>', 'internal: run one task in this process').hideHelp())
    .action(async (o: { tasks: string; backends: string; peer: string | false; images?: number; steps?: number; worker?: string }, cmd: Command) => {
      const g = globals(cmd);
      const tasks = o.tasks.split(',').map((t) => t.trim()) as TaskName[];
      for (const t of [...tasks, ...(o.worker ? [o.worker] : [])]) if (!(TASK_NAMES as readonly string[]).includes(t)) throw new UserError(`unknown bench task '${t}': use ${TASK_NAMES.join(', ')}`);
      if (o.worker) {
        const info = await useBackend(g);
        const { WORKLOADS } = await import('../../bench/workloads.ts');
        const result = await WORKLOADS[o.worker as TaskName]({ dataDir: g.dataDir, images: o.images, steps: o.steps });
        const out = { ...result, backend: info.name, threads: info.threads, precision: info.precision, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) };
        emit(g, out, () => JSON.stringify(out));
        return;
      }
      const backends = o.backends.split(',').map((b) => b.trim()).filter(Boolean);
      const report = runBench({ tasks, backends, peer: o.peer === false ? null : o.peer, precision: g.precision, threads: g.threads, dataDir: g.dataDir, images: o.images, steps: o.steps, say });
      emit(g, report, () => formatBench(report, backends));
    });
}
