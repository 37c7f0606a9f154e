import type { PaneId } from '../../../store/compareSlice';
import type { PaneViewer } from './PaneViewer';
import { FIT, type ViewTransform } from './viewTransform';

/**
 * Pan and zoom for both panes, outside React: a drag moves uniforms at pointer rate
 * without re-rendering any component. Linked, every pane follows the one being moved.
 */
export class ViewSync {
  private readonly views = new Map<PaneId, ViewTransform>();
  private readonly viewers = new Map<PaneId, PaneViewer>();
  private linked = true;

  attach(pane: PaneId, viewer: PaneViewer): void {
    this.viewers.set(pane, viewer);
    viewer.setView(this.views.get(pane) ?? FIT);
  }

  detach(pane: PaneId, viewer: PaneViewer): void {
    if (this.viewers.get(pane) === viewer) this.viewers.delete(pane);
  }

  change(pane: PaneId, view: ViewTransform): void {
    const targets: Iterable<PaneId> = this.linked ? new Set([pane, ...this.viewers.keys()]) : [pane];
    for (const id of targets) {
      this.views.set(id, view);
      this.viewers.get(id)?.setView(view);
    }
  }

  /** Linking snaps the other panes to the one the user is working in. */
  setLinked(linked: boolean, from: PaneId): void {
    this.linked = linked;
    if (linked) this.change(from, this.views.get(from) ?? FIT);
  }

  reset(pane: PaneId): void {
    this.change(pane, FIT);
  }
}
