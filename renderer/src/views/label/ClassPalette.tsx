import { TRAIN_CLASSES } from '../../../../common/classes';
import { CANT_TELL_KEY, keyHint } from '../../../../common/labels/classKeys';
import { cssColour } from './maskCodec';

interface Props {
  readonly selected: number | null;
  readonly cantTell?: boolean;
  readonly onPick: (trainId: number) => void;
  readonly onCantTell?: () => void;
  readonly compact?: boolean;
}

/** The 19 classes with their colours and keys; the same palette serves spots and frames. */
export function ClassPalette({ selected, cantTell, onPick, onCantTell, compact }: Props): React.JSX.Element {
  return (
    <div className={`class-palette${compact ? ' compact' : ''}`} role="radiogroup" aria-label="Class">
      {TRAIN_CLASSES.map((c) => (
        <button
          key={c.trainId}
          role="radio"
          aria-checked={selected === c.trainId}
          className={selected === c.trainId ? 'picked' : ''}
          onClick={(e) => {
            onPick(c.trainId);
            e.currentTarget.blur();
          }}
          title={`${c.name} (${keyHint(c.trainId)})`}
        >
          <span className="swatch" style={{ background: cssColour(c.trainId) }} />
          <span className="name">{c.name}</span>
          <kbd>{keyHint(c.trainId)}</kbd>
        </button>
      ))}
      {onCantTell && (
        <button
          role="radio"
          aria-checked={!!cantTell}
          className={`cant-tell${cantTell ? ' picked' : ''}`}
          onClick={(e) => {
            onCantTell();
            e.currentTarget.blur();
          }}
        >
          <span className="swatch hatched" />
          <span className="name">can't tell</span>
          <kbd>{CANT_TELL_KEY.toUpperCase()}</kbd>
        </button>
      )}
    </div>
  );
}
