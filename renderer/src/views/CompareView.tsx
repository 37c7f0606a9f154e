export function CompareView(): React.JSX.Element {
  return (
    <div className="placeholder">
      <h2>Compare</h2>
      <p>This view is not built yet.</p>
    </div>
  );
}
