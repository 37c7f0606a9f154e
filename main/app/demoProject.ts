import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectSummary } from '../../common/contract';
import type { ModelRecord } from '../inference/modelService';
import { defaultProjectsDir, PROJECT_SUFFIX } from '../services/appPaths';
import type { ProjectService } from '../services/projectService';
import type { ProjectServices } from './composition';
import { enqueueInferenceRun } from './inferenceJob';

export const DEMO_NAME = 'Demo';

/**
 * The bundled demo project: the committed fixture set (a GTA5-style simulator folder and
 * dashcam sequences with held-out ground truth), registered and scanned on first open, with the
 * shipped models then run over both folders in the background.
 */
export class DemoProject {
  constructor(
    private readonly resourcesDir: string,
    private readonly appHome: string,
    private readonly projects: ProjectService<ProjectServices>,
  ) {}

  get folder(): string {
    return join(this.resourcesDir, 'fixtures', 'demo');
  }

  available(): boolean {
    return existsSync(join(this.folder, 'sim'));
  }

  async open(): Promise<ProjectSummary> {
    const dir = join(defaultProjectsDir(this.appHome), `${DEMO_NAME}${PROJECT_SUFFIX}`);
    if (existsSync(dir)) {
      const opened = this.projects.open(dir);
      await this.registerShippedModels();
      return opened;
    }
    const summary = this.projects.create(DEMO_NAME);
    const { datasets, jobs } = this.projects.require().scope;
    const sim = datasets.addDataset({ name: 'Simulator (demo)', role: 'sim', root: join(this.folder, 'sim') });
    const dashcam = datasets.addDataset({
      name: 'Dashcam (demo)',
      role: 'dashcam',
      root: join(this.folder, 'dashcam', 'frames'),
    });
    datasets.attachGroundTruth(dashcam.id, join(this.folder, 'dashcam_gt'));
    jobs.enqueue('scan', `Scan ${sim.name}`, { datasetId: sim.id });
    jobs.enqueue('scan', `Scan ${dashcam.name}`, { datasetId: dashcam.id });
    const shipped = await this.registerShippedModels();
    await jobs.idle();
    this.runShippedModels(shipped, [dashcam.id, sim.id]);
    return summary;
  }

  /** Models trained by native-models/ join the demo once they exist (and are refreshed when retrained). */
  private async registerShippedModels(): Promise<ModelRecord[]> {
    const dir = join(this.resourcesDir, 'native-models', 'models');
    if (!existsSync(dir)) return [];
    try {
      return await this.projects.require().scope.models.registerShipped(dir);
    } catch (err) {
      // A broken shipped model must not keep the demo's datasets from opening; the error names the file.
      console.warn(`Shipped models not registered: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  /**
   * On the demo's first open only, queues the shipped models' run over each folder as a background
   * job (status bar progress, cancellable), so Compare opens with masks. It is not queued again on
   * later opens; a cancelled run continues from the Models view's Run, skipping finished frames.
   */
  private runShippedModels(shipped: readonly ModelRecord[], datasetIds: readonly number[]): void {
    if (!shipped.some((m) => m.card.kind === 'segmentation')) return;
    const { scope } = this.projects.require();
    for (const datasetId of datasetIds) {
      try {
        enqueueInferenceRun(scope, datasetId, shipped.map((m) => m.id));
      } catch (err) {
        console.warn(`Shipped models not run on dataset ${datasetId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
