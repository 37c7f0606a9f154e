export function LabelView(): React.JSX.Element {
  return (
    <div className="placeholder">
      <h2>Label</h2>
      <p>This view is not built yet.</p>
    </div>
  );
}
