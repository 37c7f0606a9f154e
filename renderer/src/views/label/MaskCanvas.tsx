import { useEffect, useRef } from 'react';
import { fillPolygon, fillSuperpixel, floodFillByColour, paintSegment, type Mask, type Point } from '../../../../common/labels/maskOps';
import { slic } from '../../../../common/labels/superpixels';
import { CLASS_RGBA, type FramePixels } from './maskCodec';

export type Tool = 'brush' | 'eraser' | 'polygon' | 'superpixel' | 'colour';

interface Props {
  readonly frame: FramePixels;
  readonly mask: Mask;
  /** Bumped by the parent whenever the mask changes outside this canvas (load, undo, redo). */
  readonly version: number;
  readonly tool: Tool;
  readonly trainId: number;
  readonly brushSize: number;
  readonly tolerance: number;
  readonly opacity: number;
  readonly onEditStart: () => void;
  readonly onEditEnd: () => void;
}

interface View {
  scale: number;
  ox: number;
  oy: number;
}

const UNLABELLED = 255;

/**
 * The painting surface: the frame with its mask on top, zoomed and panned by wheel and
 * right- or middle-drag (or Space+drag). Edits go straight into the mask; the parent owns
 * history and saving, and is told when an edit starts and ends.
 */
export function MaskCanvas(props: Props): React.JSX.Element {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const live = useRef(props);
  live.current = props;
  const view = useRef<View>({ scale: 1, ox: 0, oy: 0 });
  const overlay = useRef<{ canvas: HTMLCanvasElement; image: ImageData; pixels: Uint32Array } | null>(null);
  const polygon = useRef<Point[]>([]);
  const pointer = useRef<{ mode: 'paint' | 'pan' | null; last: Point; screen: Point; hover: Point | null }>({
    mode: null,
    last: { x: 0, y: 0 },
    screen: { x: 0, y: 0 },
    hover: null,
  });
  const segments = useRef<{ frame: FramePixels; labels: Int32Array } | null>(null);
  const spaceHeld = useRef(false);

  const draw = () => {
    const canvas = canvasRef.current;
    const ov = overlay.current;
    if (!canvas || !ov) return;
    const ctx = canvas.getContext('2d')!;
    const { scale, ox, oy } = view.current;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#0b0c10';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
    ctx.imageSmoothingEnabled = scale < 2;
    ctx.drawImage(live.current.frame.image, 0, 0);
    ctx.globalAlpha = live.current.opacity;
    ctx.drawImage(ov.canvas, 0, 0);
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5 / scale;
    const pts = polygon.current;
    if (pts.length > 0) {
      ctx.strokeStyle = '#ffd54f';
      ctx.beginPath();
      pts.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
      const hover = pointer.current.hover;
      if (hover) ctx.lineTo(hover.x, hover.y);
      ctx.stroke();
    }
    const hover = pointer.current.hover;
    const { tool, brushSize } = live.current;
    if (hover && (tool === 'brush' || tool === 'eraser')) {
      ctx.strokeStyle = tool === 'eraser' ? '#ff8a80' : '#ffffff';
      ctx.beginPath();
      ctx.arc(hover.x, hover.y, brushSize / 2, 0, Math.PI * 2);
      ctx.stroke();
    }
  };

  const recolour = (x0 = 0, y0 = 0, x1 = live.current.mask.width - 1, y1 = live.current.mask.height - 1) => {
    const ov = overlay.current;
    if (!ov) return;
    const { mask } = live.current;
    const xa = Math.max(0, Math.floor(x0));
    const ya = Math.max(0, Math.floor(y0));
    const xb = Math.min(mask.width - 1, Math.ceil(x1));
    const yb = Math.min(mask.height - 1, Math.ceil(y1));
    if (xb < xa || yb < ya) return;
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) ov.pixels[y * mask.width + x] = CLASS_RGBA[mask.data[y * mask.width + x]!]!;
    }
    ov.canvas.getContext('2d')!.putImageData(ov.image, 0, 0, xa, ya, xb - xa + 1, yb - ya + 1);
  };

  const fit = () => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const { width, height } = live.current.frame;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const scale = Math.min(w / width, h / height);
    view.current = { scale, ox: (w - width * scale) / 2, oy: (h - height * scale) / 2 };
  };

  // A new frame: new overlay, fitted view, no polygon in progress.
  useEffect(() => {
    const { frame } = props;
    const canvas = document.createElement('canvas');
    canvas.width = frame.width;
    canvas.height = frame.height;
    const image = new ImageData(frame.width, frame.height);
    overlay.current = { canvas, image, pixels: new Uint32Array(image.data.buffer) };
    polygon.current = [];
    fit();
    recolour();
    draw();
  }, [props.frame]);

  useEffect(() => {
    recolour();
    draw();
  }, [props.version, props.mask]);

  useEffect(() => {
    if (props.tool !== 'polygon') polygon.current = [];
    draw();
  }, [props.opacity, props.tool, props.brushSize]);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const resize = () => {
      const dpr = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
      canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
      fit();
      draw();
    };
    const observer = new ResizeObserver(resize);
    observer.observe(canvas);
    const toImage = (e: { clientX: number; clientY: number }): Point => {
      const rect = canvas.getBoundingClientRect();
      const { scale, ox, oy } = view.current;
      return { x: (e.clientX - rect.left - ox) / scale, y: (e.clientY - rect.top - oy) / scale };
    };
    const finishPolygon = () => {
      const pts = polygon.current;
      polygon.current = [];
      if (pts.length >= 3) {
        const p = live.current;
        p.onEditStart();
        fillPolygon(p.mask, pts, p.trainId);
        const xs = pts.map((q) => q.x);
        const ys = pts.map((q) => q.y);
        recolour(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
        p.onEditEnd();
      }
      draw();
    };
    const onDown = (e: PointerEvent) => {
      canvas.setPointerCapture(e.pointerId);
      const at = toImage(e);
      const p = live.current;
      pointer.current.screen = { x: e.clientX, y: e.clientY };
      if (e.button === 1 || e.button === 2 || spaceHeld.current) {
        pointer.current.mode = 'pan';
        return;
      }
      if (e.button !== 0) return;
      if (p.tool === 'brush' || p.tool === 'eraser') {
        p.onEditStart();
        pointer.current.mode = 'paint';
        pointer.current.last = at;
        paintSegment(p.mask, at, at, p.brushSize / 2, p.tool === 'eraser' ? UNLABELLED : p.trainId);
        recolour(at.x - p.brushSize, at.y - p.brushSize, at.x + p.brushSize, at.y + p.brushSize);
      } else if (p.tool === 'polygon') {
        if (e.detail >= 2) finishPolygon();
        else polygon.current = [...polygon.current, at];
      } else {
        p.onEditStart();
        if (p.tool === 'colour') {
          floodFillByColour(p.mask, p.frame.rgba(), at, p.tolerance, p.trainId);
        } else {
          if (segments.current?.frame !== p.frame) {
            segments.current = { frame: p.frame, labels: slic(p.frame.rgba(), p.frame.width, p.frame.height, { step: Math.max(12, Math.round(p.frame.width / 60)) }) };
          }
          fillSuperpixel(p.mask, segments.current.labels, at, p.trainId);
        }
        recolour();
        p.onEditEnd();
      }
      draw();
    };
    const onMove = (e: PointerEvent) => {
      const at = toImage(e);
      pointer.current.hover = at;
      const p = live.current;
      if (pointer.current.mode === 'pan') {
        view.current.ox += e.clientX - pointer.current.screen.x;
        view.current.oy += e.clientY - pointer.current.screen.y;
        pointer.current.screen = { x: e.clientX, y: e.clientY };
      } else if (pointer.current.mode === 'paint') {
        const from = pointer.current.last;
        paintSegment(p.mask, from, at, p.brushSize / 2, p.tool === 'eraser' ? UNLABELLED : p.trainId);
        const r = p.brushSize;
        recolour(Math.min(from.x, at.x) - r, Math.min(from.y, at.y) - r, Math.max(from.x, at.x) + r, Math.max(from.y, at.y) + r);
        pointer.current.last = at;
      }
      draw();
    };
    const onUp = () => {
      if (pointer.current.mode === 'paint') live.current.onEditEnd();
      pointer.current.mode = null;
    };
    const onLeave = () => {
      pointer.current.hover = null;
      draw();
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const v = view.current;
      const factor = Math.exp(-e.deltaY * 0.0015);
      const scale = Math.min(40, Math.max(0.05, v.scale * factor));
      const mx = e.clientX - rect.left;
      const my = e.clientY - rect.top;
      view.current = { scale, ox: mx - ((mx - v.ox) * scale) / v.scale, oy: my - ((my - v.oy) * scale) / v.scale };
      draw();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.type === 'keyup') {
        if (e.code === 'Space') spaceHeld.current = false;
        return;
      }
      if (e.code === 'Space' && (e.target as HTMLElement).tagName !== 'INPUT') {
        spaceHeld.current = true;
        e.preventDefault();
      }
      if (live.current.tool !== 'polygon') return;
      if (e.key === 'Enter') finishPolygon();
      if (e.key === 'Escape') {
        polygon.current = [];
        draw();
      }
    };
    const noMenu = (e: Event) => e.preventDefault();
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onUp);
    canvas.addEventListener('pointerleave', onLeave);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('contextmenu', noMenu);
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onKey);
    return () => {
      observer.disconnect();
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointercancel', onUp);
      canvas.removeEventListener('pointerleave', onLeave);
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('contextmenu', noMenu);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKey);
    };
  }, []);

  return <canvas ref={canvasRef} className="mask-canvas" data-testid="mask-canvas" style={{ cursor: props.tool === 'polygon' ? 'crosshair' : 'default' }} />;
}
