import { useEffect } from 'react';
import { api } from './client/backend';
import { NavBar } from './components/NavBar';
import { StatusBar } from './components/StatusBar';
import { applyEvent, navigate, notifyError, refreshAll } from './store/actions';
import { ROUTES, store, useAppState, type Route } from './store/store';
import { CompareView } from './views/CompareView';
import { DataView } from './views/DataView';
import { HomeView } from './views/HomeView';
import { LabelView } from './views/LabelView';
import { MetricsView } from './views/MetricsView';
import { ModelsView } from './views/ModelsView';

function routeFromHash(): Route {
  const name = window.location.hash.replace(/^#\/?/, '');
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'home';
}

const VIEWS: Record<Route, () => React.JSX.Element> = {
  home: HomeView,
  data: DataView,
  models: ModelsView,
  compare: CompareView,
  label: LabelView,
  metrics: MetricsView,
};

export function App(): React.JSX.Element {
  const route = useAppState((s) => s.route);
  const notice = useAppState((s) => s.notice);
  useEffect(() => {
    store.dispatch({ type: 'route', route: routeFromHash() });
    const onHash = () => navigate(routeFromHash());
    window.addEventListener('hashchange', onHash);
    const unsubscribe = api.onEvent(applyEvent);
    refreshAll().catch(notifyError);
    return () => {
      window.removeEventListener('hashchange', onHash);
      unsubscribe();
    };
  }, []);
  const View = VIEWS[route];
  return (
    <div className="app">
      <NavBar />
      {notice && (
        <div className={`notice notice-${notice.level}`} role="alert">
          <span>{notice.text}</span>
          <button onClick={() => store.dispatch({ type: 'notice', notice: null })}>Dismiss</button>
        </div>
      )}
      <main className="view" data-view={route}>
        <View />
      </main>
      <StatusBar />
    </div>
  );
}
