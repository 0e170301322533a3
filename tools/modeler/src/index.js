// The browser modeler of #18 (built by `make assets` with esbuild into static/vendor/modeler/modeler.js).
// Opens a version or the draft, validates on the server as the owner edits (problems marked on the
// elements and listed), saves the draft, deploys; and the form editor with the caseworker's preview.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from '../spiffworkflow.json';
import { TilboligPanelModule } from './panel';

const app = document.getElementById('modeler-app');

function debounced(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

function text(el, value) { if (el) { el.textContent = value; } }

async function call(url, method, body) {
  const res = await fetch(url, {
    method, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': app.dataset.csrf, Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  return { status: res.status, data };
}

function element(tag, attrs, content) {
  const el = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => el.setAttribute(k, v));
  if (content !== undefined) { el.textContent = content; }
  return el;
}

async function start() {
  const src = await call(app.dataset.sourceUrl, 'GET');
  if (src.status !== 200) { text(document.getElementById('modeler-status'), (src.data && src.data.message) || 'Kunne ikke åpne diagrammet.'); return; }
  const state = { files: src.data.files, main: src.data.main, revision: src.data.source.revision,
    base: src.data.base_version, formNames: src.data.forms, problems: [], marked: [], seq: 0 };
  const cfg = {
    formFiles: () => [...new Set([...state.formNames, ...Object.keys(state.files).filter((n) => n.endsWith('.json'))])].sort(),
    catalogue: () => src.data.catalogue,
  };
  const modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#panel' },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, TilboligPanelModule,
      { tilboligConfig: ['value', cfg] }],
    moddleExtensions: { spiffworkflow },
  });
  window.tilboligModeler = modeler;    // for the tests and the curious
  const status = document.getElementById('modeler-status');
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const registry = modeler.get('elementRegistry');

  function mark(problems) {
    state.marked.forEach((id) => { if (registry.get(id)) { canvas.removeMarker(id, 'tb-problem'); } });
    overlays.remove({ type: 'tb-problem' });
    state.marked = [];
    const counts = {};
    problems.forEach((p) => { if (p.element_id && registry.get(p.element_id)) { counts[p.element_id] = (counts[p.element_id] || 0) + 1; } });
    Object.entries(counts).forEach(([id, n]) => {
      canvas.addMarker(id, 'tb-problem');
      state.marked.push(id);
      overlays.add(id, 'tb-problem', { position: { top: -10, right: 10 }, html: element('span', { class: 'tb-problem-badge', title: `${n} problem` }, String(n)) });
    });
    const list = document.getElementById('problems');
    list.replaceChildren();
    problems.forEach((p) => {
      const li = element('li', { 'data-element': p.element_id || '' });
      if (p.element_id && registry.get(p.element_id)) {
        const b = element('button', { type: 'button', class: 'link' }, p.element_id);
        b.addEventListener('click', () => {
          const el = registry.get(p.element_id);
          modeler.get('selection').select(el);
          if (canvas.zoom() < 0.8) { canvas.zoom(1); }
          canvas.scrollToElement(el);
        });
        li.append(b, document.createTextNode(`: ${p.message}`));
      } else {
        li.textContent = `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`;
      }
      list.append(li);
    });
    text(document.getElementById('problem-count'), problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 'er'}` : 'Ingen problemer');
    document.getElementById('problems-box').dataset.state = problems.length ? 'problems' : 'ok';
  }

  async function syncXml() {
    const { xml } = await modeler.saveXML({ format: true });
    state.files[state.main] = xml;
  }

  async function validate() {
    const seq = ++state.seq;
    await syncXml();
    const res = await call(app.dataset.validateUrl, 'POST', { files: state.files });
    if (seq !== state.seq) { return; }     // a newer edit is on its way
    state.problems = (res.data && res.data.problems) || [];
    mark(state.problems);
    app.dataset.validated = String(seq);
  }

  async function save() {
    await syncXml();
    const res = await call(app.dataset.draftUrl, 'PUT', { files: state.files, revision: state.revision, base_version: state.base });
    if (res.status === 200) {
      state.revision = res.data.revision;
      text(status, `Utkastet er lagret (${new Date().toLocaleTimeString('nb-NO', { hour: '2-digit', minute: '2-digit' })}).`);
      app.dataset.saved = String(state.revision);
    } else {
      text(status, (res.data && res.data.message) || 'Utkastet ble ikke lagret.');
    }
  }

  // data-pending/data-done let a test (or a screen reader's status) know when the last edit is checked and saved.
  let pending = 0;
  let done = 0;
  const settle = debounced(async () => {
    const mine = pending;
    await validate();
    await save();
    if (mine === pending) { done += 1; app.dataset.done = String(done); app.dataset.pending = '0'; }
  }, 600);
  const changed = () => { pending += 1; app.dataset.pending = '1'; settle(); };
  modeler.on('commandStack.changed', changed);

  await modeler.importXML(state.files[state.main]);
  canvas.zoom('fit-viewport');
  await validate();
  app.dataset.done = '0';
  app.dataset.pending = '0';
  app.dataset.ready = '1';
  text(status, src.data.source.kind === 'draft' ? 'Utkastet er åpnet.' : `Versjon ${state.base} er åpnet.`);

  document.getElementById('save-draft').addEventListener('click', save);
  document.getElementById('deploy').addEventListener('click', async () => {
    await syncXml();
    const res = await call(app.dataset.deployUrl, 'POST', { files: state.files });
    const out = document.getElementById('deploy-result');
    out.replaceChildren();
    if (res.status === 200) {
      const mine = res.data.versions.find((v) => v.process_key === src.data.process_key);
      out.append(element('p', {}, res.data.created ? `Rullet ut som versjon ${mine ? mine.version : '?'}.` : 'Identisk innhold fantes allerede.'));
      if (mine && state.base && mine.version !== state.base) {
        out.append(element('a', { href: `${app.dataset.diffUrl}?fra=${state.base}&til=${mine.version}`, id: 'see-diff' }, `Se endringene fra versjon ${state.base}`));
      }
      if (mine) { state.base = mine.version; }
      state.revision = res.data.revision;
      mark([]);
    } else {
      const problems = (res.data && res.data.details) || [];
      out.append(element('p', { class: 'field-error' }, (res.data && res.data.message) || 'Ble ikke rullet ut.'));
      mark(Array.isArray(problems) ? problems : []);
    }
    out.focus();
  });

  setupForms(state, cfg, changed);
}

function setupForms(state, cfg, changed) {
  const pick = document.getElementById('form-file');
  const schema = document.getElementById('form-schema');
  const ui = document.getElementById('form-uischema');
  const preview = document.getElementById('form-preview');
  const problems = document.getElementById('form-problems');
  if (!pick) { return; }
  cfg.formFiles().filter((n) => n.endsWith('.schema.json')).forEach((n) => pick.append(element('option', { value: n }, n)));
  let current = null;

  async function textOf(name) {
    if (state.files[name] !== undefined) { return state.files[name]; }
    const res = await fetch(app.dataset.formUrl.replace('__NAME__', encodeURIComponent(name)), { credentials: 'same-origin' });
    return res.ok ? res.text() : '';
  }

  const render = debounced(async () => {
    const res = await call(app.dataset.previewUrl, 'POST', { schema: schema.value, uischema: ui.value, name: current });
    preview.innerHTML = (res.data && res.data.html) || '';     // rendered (and escaped) by the server's form templates
    problems.replaceChildren(...((res.data && res.data.problems) || []).map((p) => element('li', {}, p)));
    preview.dataset.rendered = String(Date.now());
  }, 300);

  pick.addEventListener('change', async () => {
    current = pick.value || null;
    if (!current) { schema.value = ''; ui.value = ''; preview.replaceChildren(); return; }
    schema.value = await textOf(current);
    ui.value = await textOf(current.replace(/\.schema\.json$/, '.uischema.json'));
    render();
  });
  function edited() {
    if (!current) { return; }
    state.files[current] = schema.value;
    const uiName = current.replace(/\.schema\.json$/, '.uischema.json');
    if (ui.value.trim() || state.files[uiName] !== undefined) { state.files[uiName] = ui.value; }
    render();
    changed();
  }
  schema.addEventListener('input', edited);
  ui.addEventListener('input', edited);
}

if (app) { start(); }
