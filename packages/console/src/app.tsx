export function App() {
  return <main>helpdesk-chat console</main>;
}
