import { useState } from 'react';
import { api } from '../client/backend';
import { navigate, run } from '../store/actions';
import { store, useAppState } from '../store/store';

async function afterOpen(): Promise<void> {
  store.dispatch({ type: 'recent', recent: await api.call('project:recent', {}) });
  navigate('data');
}

export function HomeView(): React.JSX.Element {
  const project = useAppState((s) => s.project);
  const recent = useAppState((s) => s.recent);
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [rename, setRename] = useState('');
  return (
    <div className="home">
      <section>
        <h2>Current project</h2>
        {project ? (
          <div className="current-project">
            <strong data-testid="current-project">{project.name}</strong>
            <code>{project.path}</code>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void run(() => api.call('project:rename', { name: rename })).then(() => setRename(''));
              }}
            >
              <input aria-label="New name" value={rename} onChange={(e) => setRename(e.target.value)} placeholder="New name" />
              <button type="submit" disabled={!rename.trim()}>
                Rename
              </button>
            </form>
            <button onClick={() => void run(() => api.call('project:close', {}))}>Close project</button>
          </div>
        ) : (
          <p>No project is open.</p>
        )}
      </section>
      <section>
        <h2>New project</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api.call('project:create', { name });
              setName('');
              await afterOpen();
            });
          }}
        >
          <input aria-label="Project name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Project name" />
          <button type="submit" disabled={!name.trim()}>
            Create
          </button>
        </form>
        <button onClick={() => void run(async () => (await api.call('project:openDemo', {}), afterOpen()))}>
          Open the demo project
        </button>
      </section>
      <section>
        <h2>Open a project</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => (await api.call('project:open', { path }), afterOpen()));
          }}
        >
          <input aria-label="Project folder" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/project.s2r" />
          {api.kind === 'electron' && (
            <button type="button" onClick={() => void api.pickFolder().then((p) => p && setPath(p))}>
              Browse…
            </button>
          )}
          <button type="submit" disabled={!path.trim()}>
            Open
          </button>
        </form>
      </section>
      <section>
        <h2>Recent</h2>
        <ul className="recent" data-testid="recent">
          {recent.map((r) => (
            <li key={r.path}>
              <button disabled={!r.exists} onClick={() => void run(async () => (await api.call('project:open', { path: r.path }), afterOpen()))}>
                {r.name}
              </button>
              <code>{r.path}</code>
              {!r.exists && <em> (missing)</em>}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
