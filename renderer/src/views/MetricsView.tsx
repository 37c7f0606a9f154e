export function MetricsView(): React.JSX.Element {
  return (
    <div className="placeholder">
      <h2>Metrics</h2>
      <p>This view is not built yet.</p>
    </div>
  );
}
