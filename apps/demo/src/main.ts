import { memoryStorage } from '@sf/storage-memory';
import { Pinterest } from './pinterest.js';

const DAY = 86_400_000;
const start = Date.UTC(2026, 10, 20, 9, 0, 0);
const app = new Pinterest(memoryStorage());

const people = ['Ada', 'Grace', 'Linus', 'Margaret', 'Barbara', 'Ken'];
people.forEach((name, i) => app.addUser(i + 1, name));

// Everyone follows Ada (1) and Grace (2); Ada follows everyone back.
let clock = start;
for (let user = 1; user <= people.length; user++) {
  for (const target of [1, 2])
    if (user !== target) await app.follow(user, target, (clock += 60_000));
  if (user !== 1) await app.follow(1, user, (clock += 60_000));
}

const titles = [
  'Surf girls',
  'Brutalist stairs',
  'Tiny houses',
  'Moss garden',
  'Night trains',
  'Sourdough',
];
const pins = [];
for (let i = 0; i < 24; i++) {
  const author = (i % 3) + 1 + (i % 4 === 0 ? 3 : 0);
  const time = start + Math.floor(i / 8) * DAY + i * 3_600_000;
  pins.push(await app.pin(author, 1000 + i, 100 + author, time, titles[i % titles.length]!));
}
for (let lover = 2; lover <= 6; lover++)
  await app.love(lover, pins[0]!, start + 3 * DAY + lover * 1000);

const reader = 1;
const { normal, aggregated, notification, user } = app.feeds;
const name = (id: number) => app.names.get(id) ?? `user ${id}`;

console.log(`\n${name(reader)}'s home feed (flat, newest first, page of 8):`);
const page = await normal.for(reader).get({ limit: 8 });
for (const activity of page) {
  console.log(
    `  ${activity.time.toISOString().slice(0, 16)}  ${name(Number(activity.actorId))} ${activity.verb.pastTense} "${String(activity.extraContext.title)}" (pin ${activity.objectId})`,
  );
}
const older = await normal
  .for(reader)
  .filter({ activityIdLt: page.at(-1)!.serializationId })
  .get({ limit: 3 });
console.log(`  ... next page by id filter: ${older.map((a) => `pin ${a.objectId}`).join(', ')}`);

console.log(`\n${name(reader)}'s aggregated feed:`);
for (const group of await aggregated.for(reader).get({ limit: 5 })) {
  console.log(
    `  [${group.group}] ${app.describe(group.verb, group.actorIds.map(Number), group.activityCount)}`,
  );
}

const notifications = notification.for(reader);
console.log(`\n${name(reader)}'s notifications (${JSON.stringify(await notifications.counts())}):`);
for (const group of await notifications.get()) {
  console.log(
    `  ${group.isSeen() ? ' ' : '*'} ${app.describe(group.verb, group.actorIds.map(Number), group.activityCount)} (${group.group})`,
  );
}
await notifications.markAll({ read: true });
console.log(`  after markAll: ${JSON.stringify(await notifications.counts())}`);

console.log(
  `\n${name(reader)}'s own pins: ${await user.for(reader).count()}; home feed holds ${await normal.for(reader).count()} activities.`,
);
