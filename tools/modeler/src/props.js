// Reading and writing our properties as SpiffArena-compatible extension elements:
//   <bpmn:extensionElements><spiffworkflow:properties>
//     <spiffworkflow:property name="…" value="…"/>
// Every write goes through `modeling.updateModdleProperties`, so it is undoable and marks the
// diagram changed (which triggers live validation and the draft save).
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function propertiesOf(bo) {
  const ext = bo && bo.get('extensionElements');
  if (!ext) { return null; }
  return (ext.get('values') || []).find((v) => v.$type === 'spiffworkflow:Properties') || null;
}

export function getProp(element, name, target) {
  const props = propertiesOf(target || getBusinessObject(element));
  const found = props && (props.get('properties') || []).find((p) => p.name === name);
  return found ? (found.value || '') : '';
}

export function setProp(element, name, value, injector, target) {
  const modeling = injector.get('modeling');
  const moddle = injector.get('moddle');
  const bo = target || getBusinessObject(element);
  let ext = bo.get('extensionElements');
  if (!ext) {
    if (!value) { return; }
    ext = moddle.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let props = propertiesOf(bo);
  if (!props) {
    if (!value) { return; }
    props = moddle.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...(ext.get('values') || []), props] });
  }
  const list = [...(props.get('properties') || [])];
  const index = list.findIndex((p) => p.name === name);
  if (!value) {
    if (index >= 0) { list.splice(index, 1); }
  } else if (index >= 0) {
    modeling.updateModdleProperties(element, list[index], { value });
    return;
  } else {
    const p = moddle.create('spiffworkflow:Property', { name, value });
    p.$parent = props;
    list.push(p);
  }
  modeling.updateModdleProperties(element, props, { properties: list });
  if (!list.length) {   // leave no empty containers behind
    const rest = (ext.get('values') || []).filter((v) => v !== props);
    modeling.updateModdleProperties(element, ext, { values: rest });
    if (!rest.length) { modeling.updateModdleProperties(element, bo, { extensionElements: undefined }); }
  }
}

export function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition')) || null;
}

export function messageDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition')) || null;
}

export function timerExpression(element) {
  const ed = timerDefinition(element);
  return ed && ed.timeDate ? (ed.timeDate.body || '') : '';
}

export function setTimerExpression(element, text, injector) {
  const ed = timerDefinition(element);
  if (!ed) { return; }
  const modeling = injector.get('modeling');
  if (ed.timeDate) {
    modeling.updateModdleProperties(element, ed.timeDate, { body: text });
  } else {
    const expr = injector.get('moddle').create('bpmn:FormalExpression', { body: text });
    expr.$parent = ed;
    modeling.updateModdleProperties(element, ed, { timeDate: expr, timeDuration: undefined, timeCycle: undefined });
  }
}

// The FRIST-FORMAT of #18 (engine/bpmn/frist_props.py): anchor, period, working day → timer expression.
export function fristExpression(anchor, period, workingDay) {
  return `frist(${anchor}, "${period}"${workingDay ? ', virkedag=True' : ''})`;
}

const EXPR = /^frist\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*"([^"]*)"\s*(?:,\s*(?:virkedag\s*=\s*)?(True|False))?\s*\)$/;

export function parseFrist(text) {
  const m = EXPR.exec((text || '').trim());
  return m ? { anchor: m[1], period: m[2], workingDay: m[3] === 'True' } : null;
}
