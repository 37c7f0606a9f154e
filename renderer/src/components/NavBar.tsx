import { navigate } from '../store/actions';
import { useAppState, type Route } from '../store/store';

const LABELS: Record<Route, string> = {
  home: 'Projects',
  data: 'Data',
  models: 'Models',
  compare: 'Compare',
  label: 'Label',
  metrics: 'Metrics',
};

export function NavBar(): React.JSX.Element {
  const route = useAppState((s) => s.route);
  const project = useAppState((s) => s.project);
  return (
    <header className="navbar">
      <span className="brand">Sim2Real Studio</span>
      <nav>
        {(Object.keys(LABELS) as Route[]).map((r) => (
          <button
            key={r}
            className={r === route ? 'active' : ''}
            disabled={r !== 'home' && !project}
            onClick={() => navigate(r)}
          >
            {LABELS[r]}
          </button>
        ))}
      </nav>
      <span className="project-name" data-testid="project-name">
        {project ? project.name : 'No project'}
      </span>
    </header>
  );
}
