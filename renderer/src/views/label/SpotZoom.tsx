import { useEffect, useRef } from 'react';
import type { FramePixels } from './maskCodec';

interface Props {
  readonly frame: FramePixels | null;
  readonly x: number;
  readonly y: number;
  /** Colour of the answer so far, drawn as the marker ring; null when unanswered. */
  readonly answerColour: string | null;
}

const ZOOM_SIZE = 360;
/** Source pixels shown across the zoom: enough context to judge, few enough to see the pixel. */
const ZOOM_WINDOW = 36;
const CONTEXT_WIDTH = 560;

/** The spot close up (nearest-neighbour, so the pixel stays a pixel) and where it sits in the frame. */
export function SpotZoom({ frame, x, y, answerColour }: Props): React.JSX.Element {
  const zoomRef = useRef<HTMLCanvasElement>(null);
  const contextRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const zoom = zoomRef.current?.getContext('2d');
    const context = contextRef.current?.getContext('2d');
    if (!zoom || !context || !contextRef.current) return;
    zoom.fillStyle = '#0b0c10';
    zoom.fillRect(0, 0, ZOOM_SIZE, ZOOM_SIZE);
    if (!frame) {
      context.clearRect(0, 0, contextRef.current.width, contextRef.current.height);
      return;
    }
    const scale = ZOOM_SIZE / ZOOM_WINDOW;
    const sx = x - ZOOM_WINDOW / 2 + 0.5;
    const sy = y - ZOOM_WINDOW / 2 + 0.5;
    zoom.imageSmoothingEnabled = false;
    zoom.drawImage(frame.image, sx, sy, ZOOM_WINDOW, ZOOM_WINDOW, 0, 0, ZOOM_SIZE, ZOOM_SIZE);
    // A ring with a gap around the spot's pixel: the pixel itself stays unobstructed.
    const cx = (x - sx + 0.5) * scale;
    const cy = (y - sy + 0.5) * scale;
    for (const [colour, width] of [['rgba(0,0,0,0.8)', 4], [answerColour ?? '#ffffff', 2]] as const) {
      zoom.strokeStyle = colour;
      zoom.lineWidth = width;
      zoom.beginPath();
      zoom.arc(cx, cy, scale * 1.6, 0, Math.PI * 2);
      zoom.stroke();
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        zoom.beginPath();
        zoom.moveTo(cx + dx * scale * 2.4, cy + dy * scale * 2.4);
        zoom.lineTo(cx + dx * scale * 4, cy + dy * scale * 4);
        zoom.stroke();
      }
    }

    const canvas = contextRef.current;
    const k = CONTEXT_WIDTH / frame.width;
    canvas.width = CONTEXT_WIDTH;
    canvas.height = Math.round(frame.height * k);
    context.imageSmoothingEnabled = true;
    context.drawImage(frame.image, 0, 0, canvas.width, canvas.height);
    context.strokeStyle = '#ffd54f';
    context.lineWidth = 2;
    context.strokeRect(sx * k, sy * k, ZOOM_WINDOW * k, ZOOM_WINDOW * k);
    context.fillStyle = '#ffd54f';
    context.beginPath();
    context.arc((x + 0.5) * k, (y + 0.5) * k, 3, 0, Math.PI * 2);
    context.fill();
  }, [frame, x, y, answerColour]);

  return (
    <div className="spot-zoom">
      <canvas ref={zoomRef} width={ZOOM_SIZE} height={ZOOM_SIZE} data-testid="spot-zoom" aria-label="Spot, zoomed" />
      <canvas ref={contextRef} width={CONTEXT_WIDTH} height={Math.round(CONTEXT_WIDTH / 2)} aria-label="Spot in its frame" />
    </div>
  );
}
