// The «Tilbolig» group of the properties panel: form per user task, deadline on timers, lane → party,
// the process's extra parties, message schemas. Config (forms, deadline catalogue) is the
// `tilboligConfig` service the page provides.
import { CheckboxEntry, SelectEntry, TextFieldEntry, isCheckboxEntryEdited, isSelectEntryEdited,
  isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { fristExpression, getProp, messageDefinition, parseFrist, setProp, setTimerExpression,
  timerDefinition, timerExpression } from './props';

const PERIOD = /^P(?:\d{1,6}Y)?(?:\d{1,6}M)?(?:\d{1,6}W)?(?:\d{1,6}D)?$/;
export const STANDARD_PARTIES = ['bydel', 'institusjon', 'beboer'];

function withEmpty(label, values, current) {
  const all = [...values];
  if (current && !all.includes(current)) { all.push(current); }
  return [{ value: '', label }, ...all.map((v) => ({ value: v, label: v }))];
}

function PropSelect(props) {
  const { element, id, label, name, options, description, onSet } = props;
  const injector = useService('injector');
  return h(SelectEntry, {
    element, id, label, description,
    getValue: () => getProp(element, name),
    setValue: (value) => (onSet ? onSet(value, injector) : setProp(element, name, value, injector)),
    getOptions: () => options(getProp(element, name)),
  });
}

function PropText(props) {
  const { element, id, label, name, description, target } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label, description, debounce,
    getValue: () => getProp(element, name, target),
    setValue: (value) => setProp(element, name, (value || '').trim(), injector, target),
  });
}

// ---- user task: form ------------------------------------------------------------------------
function FormEntry({ element }) {
  const cfg = useService('tilboligConfig');
  const schemas = cfg.formFiles().filter((f) => f.endsWith('.schema.json') && !f.startsWith('melding-'));
  return h(PropSelect, {
    element, id: 'tb-form', label: 'Skjema', name: 'formJsonSchemaFilename',
    description: 'Skjemaet saksbehandleren fyller ut. Uten skjema får oppgaven bare «Fullfør».',
    options: (current) => withEmpty('(uten skjema)', schemas, current),
    onSet: (value, injector) => {
      setProp(element, 'formJsonSchemaFilename', value, injector);
      const ui = value ? value.replace(/\.schema\.json$/, '.uischema.json') : '';
      setProp(element, 'formUiSchemaFilename', ui && cfg.formFiles().includes(ui) ? ui : '', injector);
    },
  });
}

// ---- timer: deadline --------------------------------------------------------------------------
function currentDeadline(element) {
  const declared = { anchor: getProp(element, 'frist_anker'), period: getProp(element, 'frist_periode'),
    workingDay: getProp(element, 'frist_virkedag') === 'ja' };
  if (declared.anchor || declared.period) { return declared; }
  return parseFrist(timerExpression(element)) || { anchor: '', period: '', workingDay: false };
}

function writeDeadline(element, d, injector) {
  setProp(element, 'frist_anker', d.anchor, injector);
  setProp(element, 'frist_periode', d.period, injector);
  setProp(element, 'frist_virkedag', d.workingDay ? 'ja' : '', injector);
  if (d.anchor && d.period) { setTimerExpression(element, fristExpression(d.anchor, d.period, d.workingDay), injector); }
}

function DeadlineKeyEntry({ element }) {
  const cfg = useService('tilboligConfig');
  const catalogue = cfg.catalogue();
  return h(PropSelect, {
    element, id: 'tb-frist', label: 'Frist (fra fristkatalogen)', name: 'frist',
    description: 'Navnet fristen telles under i rapportene. Et navn fra katalogen fyller inn anker og periode.',
    options: (current) => withEmpty('(ingen frist)', Object.keys(catalogue), current),
    onSet: (value, injector) => {
      setProp(element, 'frist', value, injector);
      const known = catalogue[value];
      if (known) { writeDeadline(element, { anchor: known.anchor, period: known.period, workingDay: known.working_day }, injector); }
    },
  });
}

function AnchorEntry({ element }) {
  const cfg = useService('tilboligConfig');
  const injector = useService('injector');
  const anchors = [...new Set(Object.values(cfg.catalogue()).map((d) => d.anchor))].sort();
  return h(SelectEntry, {
    element, id: 'tb-anker', label: 'Regnes fra (ankerdato)',
    description: 'Datoen i saken fristen regnes fra; innflytting er T0.',
    getValue: () => currentDeadline(element).anchor,
    setValue: (anchor) => writeDeadline(element, { ...currentDeadline(element), anchor }, injector),
    getOptions: () => withEmpty('(velg dato)', anchors, currentDeadline(element).anchor),
  });
}

function PeriodEntry({ element }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id: 'tb-periode', label: 'Periode', debounce,
    description: 'ISO 8601: P14D = 14 dager, P4W = 4 uker, P4M = 4 måneder.',
    getValue: () => currentDeadline(element).period,
    setValue: (value) => writeDeadline(element, { ...currentDeadline(element), period: (value || '').trim().toUpperCase() }, injector),
    validate: (value) => (value && !PERIOD.test(value.trim().toUpperCase()) ? 'Skriv perioden som P14D, P4W eller P4M.' : null),
  });
}

function WorkingDayEntry({ element }) {
  const injector = useService('injector');
  return h(CheckboxEntry, {
    element, id: 'tb-virkedag', label: 'Flytt til neste virkedag når fristen faller på helg eller helligdag',
    getValue: () => currentDeadline(element).workingDay,
    setValue: (workingDay) => writeDeadline(element, { ...currentDeadline(element), workingDay }, injector),
  });
}

// ---- lane, process, message --------------------------------------------------------------------
function declaredParties(injector) {
  const root = getBusinessObject(injector.get('canvas').getRootElement());
  const processes = is(root, 'bpmn:Collaboration') ? (root.get('participants') || []).map((p) => p.processRef).filter(Boolean) : [root];
  const out = [];
  processes.forEach((p) => getProp({ businessObject: p }, 'parter').split(',').map((s) => s.trim()).filter(Boolean)
    .forEach((s) => { if (!out.includes(s)) { out.push(s); } }));
  return out;
}

function PartyEntry({ element }) {
  const injector = useService('injector');
  return h(PropSelect, {
    element, id: 'tb-part', label: 'Part (hvem banen er)', name: 'part',
    description: 'Hvilken part i saken som gjør oppgavene i banen.',
    options: (current) => withEmpty('(etter banens navn)', [...STANDARD_PARTIES, ...declaredParties(injector)], current),
  });
}

function MessageSchemaEntry({ element }) {
  const cfg = useService('tilboligConfig');
  const schemas = cfg.formFiles().filter((f) => f.endsWith('.schema.json'));
  return h(PropSelect, {
    element, id: 'tb-meldingsskjema', label: 'Meldingsskjema', name: 'messageJsonSchemaFilename',
    description: 'JSON Schema meldingen sjekkes mot. Tomt: melding-<navn>.schema.json.',
    options: (current) => withEmpty('(etter meldingens navn)', schemas, current),
  });
}

function entry(id, component, element, edited) {
  return { id, component, element, isEdited: edited };
}

export function entriesFor(element) {
  const bo = getBusinessObject(element);
  const out = [];
  if (is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:ManualTask') || (bo.$type === 'bpmn:Task')) {
    out.push(entry('tb-form', FormEntry, element, isSelectEntryEdited));
    out.push({ id: 'tb-rolle', element, isEdited: isTextFieldEntryEdited,
      component: (p) => h(PropText, { ...p, id: 'tb-rolle', label: 'Rolle', name: 'rolle',
        description: 'Bare brukere med denne rollen kan gjøre oppgaven (tomt: alle i banens part).' }) });
    out.push({ id: 'tb-milepael', element, isEdited: isTextFieldEntryEdited,
      component: (p) => h(PropText, { ...p, id: 'tb-milepael', label: 'Milepæl', name: 'milepael' }) });
  }
  if (timerDefinition(element)) {
    out.push(entry('tb-frist', DeadlineKeyEntry, element, isSelectEntryEdited));
    out.push(entry('tb-anker', AnchorEntry, element, isSelectEntryEdited));
    out.push(entry('tb-periode', PeriodEntry, element, isTextFieldEntryEdited));
    out.push(entry('tb-virkedag', WorkingDayEntry, element, isCheckboxEntryEdited));
    out.push({ id: 'tb-steg', element, isEdited: isTextFieldEntryEdited,
      component: (p) => h(PropText, { ...p, id: 'tb-steg', label: 'Steg fristen gjelder (element-id)', name: 'steg' }) });
  }
  if (messageDefinition(element) && (is(bo, 'bpmn:IntermediateCatchEvent') || is(bo, 'bpmn:StartEvent') || is(bo, 'bpmn:BoundaryEvent'))) {
    out.push(entry('tb-meldingsskjema', MessageSchemaEntry, element, isSelectEntryEdited));
  }
  if (is(bo, 'bpmn:Lane')) {
    out.push(entry('tb-part', PartyEntry, element, isSelectEntryEdited));
  }
  if (is(bo, 'bpmn:Process') || (is(bo, 'bpmn:Participant') && bo.processRef)) {
    const target = is(bo, 'bpmn:Participant') ? bo.processRef : bo;
    out.push({ id: 'tb-parter', element, isEdited: isTextFieldEntryEdited,
      component: (p) => h(PropText, { ...p, target, id: 'tb-parter', label: 'Ekstra parter (kommaseparert)', name: 'parter',
        description: 'Parter prosessen har i tillegg til bydel, institusjon og beboer.' }) });
  }
  return out;
}

class TilboligPropertiesProvider {
  constructor(propertiesPanel) { propertiesPanel.registerProvider(400, this); }

  getGroups(element) {
    return (groups) => {
      const entries = entriesFor(element);
      if (entries.length) { groups.splice(1, 0, { id: 'tilbolig', label: 'Tilbolig', entries }); }
      return groups;
    };
  }
}
TilboligPropertiesProvider.$inject = ['propertiesPanel'];

export const TilboligPanelModule = {
  __init__: ['tilboligPropertiesProvider'],
  tilboligPropertiesProvider: ['type', TilboligPropertiesProvider],
};
