/** Random search: every parameter drawn from its prior, independently per trial. */
import { Rng } from '../../util/rng.ts';
import { samplePrior, type Params, type SearchSpace } from '../space.ts';
import { trialSeed, type Sampler } from '../types.ts';

export class RandomSampler implements Sampler {
  constructor(private readonly space: SearchSpace, private readonly seed: number) {}

  suggest(number: number): Params {
    const rng = new Rng(trialSeed(this.seed, number));
    const params: Params = {};
    for (const { key, dist } of this.space.params) params[key] = samplePrior(dist, rng);
    return params;
  }
}
