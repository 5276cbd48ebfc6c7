import { useEffect, useState, useSyncExternalStore } from 'react';
import { ApiKeyDialog } from './components/ApiKeyDialog';
import { AUTH_REQUIRED_EVENT, getApiKey, setApiKey } from './lib/api';
import { bumpAuthVersion } from './lib/auth';
import { currentLocation, href, matchRoute } from './lib/router';
import { ConversationsPage } from './pages/Conversations';
import { CrossvalDetailPage, CrossvalPage } from './pages/Crossval';
import { DatasetDetailPage, DatasetsPage } from './pages/Datasets';
import { DiscoveryPage } from './pages/Discovery';
import { CompareRunsPage } from './pages/experiments/CompareRunsPage';
import { ExperimentsPage } from './pages/experiments/ExperimentsPage';
import { RunDetailPage } from './pages/experiments/RunDetailPage';
import { ModelsPage } from './pages/Models';
import { MonitoringPage } from './pages/Monitoring';
import { OverviewPage } from './pages/Overview';
import { PlaygroundPage } from './pages/Playground';
import { SearchDetailPage, SearchPage } from './pages/Search';
import { ReviewPage } from './pages/Review';
import { TrainingPage } from './pages/Training';

const NAV = [
  { path: '/', label: 'Overview' },
  { path: '/datasets', label: 'Datasets' },
  { path: '/training', label: 'Training' },
  { path: '/experiments', label: 'Experiments' },
  { path: '/search', label: 'Search' },
  { path: '/crossval', label: 'Cross-validation' },
  { path: '/models', label: 'Models' },
  { path: '/playground', label: 'Playground' },
  { path: '/conversations', label: 'Conversations' },
  { path: '/review', label: 'Review' },
  { path: '/discovery', label: 'Discovery' },
  { path: '/monitoring', label: 'Monitoring' },
];

function subscribeHash(listener: () => void) {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function useHash(): string {
  return useSyncExternalStore(subscribeHash, () => window.location.hash);
}

function Page() {
  useHash();
  const { path, query } = currentLocation();
  let params: Record<string, string> | null;
  if (path === '/') return <OverviewPage />;
  if (path === '/datasets') return <DatasetsPage />;
  if ((params = matchRoute('/datasets/:id', path))) return <DatasetDetailPage id={params.id!} query={query} />;
  if (path === '/training') return <TrainingPage query={query} />;
  if (path === '/experiments') return <ExperimentsPage />;
  if (path === '/search') return <SearchPage />;
  if ((params = matchRoute('/search/:id', path))) return <SearchDetailPage id={params.id!} />;
  if (path === '/crossval') return <CrossvalPage />;
  if ((params = matchRoute('/crossval/:id', path))) return <CrossvalDetailPage id={params.id!} />;
  if (path === '/experiments/compare')
    return <CompareRunsPage ids={(query.get('runs') ?? '').split(',').filter(Boolean)} />;
  if ((params = matchRoute('/runs/:id', path))) return <RunDetailPage id={params.id!} />;
  if (path === '/models') return <ModelsPage />;
  if (path === '/playground') return <PlaygroundPage />;
  if (path === '/conversations') return <ConversationsPage query={query} />;
  if (path === '/review') return <ReviewPage query={query} />;
  if (path === '/discovery') return <DiscoveryPage query={query} />;
  if (path === '/monitoring') return <MonitoringPage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. Go to the <a href={href('/')}>Overview</a>.
      </p>
    </section>
  );
}

function activeSection(path: string): string {
  if (path.startsWith('/runs')) return '/experiments';
  const first = '/' + (path.split('/')[1] ?? '');
  return first;
}

export function App() {
  useHash();
  const [authReason, setAuthReason] = useState<string | null>(null);
  const [hasKey, setHasKey] = useState(() => !!getApiKey());

  useEffect(() => {
    // A plain link to the server root or an unknown path lands here without a fragment.
    if (window.location.pathname !== '/' && !window.location.hash) window.history.replaceState(null, '', '/#/');
    const onAuth = (event: Event) => setAuthReason((event as CustomEvent<string>).detail || 'API key required');
    window.addEventListener(AUTH_REQUIRED_EVENT, onAuth);
    return () => window.removeEventListener(AUTH_REQUIRED_EVENT, onAuth);
  }, []);

  const section = activeSection(currentLocation().path);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href('/')}>
          Chatbot Analytics Lab
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={section === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-right">
          <a href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
          {hasKey ? (
            <button
              type="button"
              onClick={() => {
                setApiKey(null);
                setHasKey(false);
                bumpAuthVersion();
              }}
            >
              Forget API key
            </button>
          ) : (
            <button type="button" onClick={() => setAuthReason('enter a key to act with its role')}>
              Set API key
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page />
      </main>
      {authReason !== null && (
        <ApiKeyDialog
          reason={authReason}
          onClose={() => {
            setAuthReason(null);
            setHasKey(!!getApiKey());
          }}
        />
      )}
    </div>
  );
}
