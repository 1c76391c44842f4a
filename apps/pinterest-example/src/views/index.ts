// The pages of the app, one module each, on a shared layout (layout.ts), components and formatting.
export { timeAgo, plural } from './format.js';
export {
  avatar,
  userLink,
  followButton,
  loveButton,
  pinImage,
  pinCard,
  pinCards,
  loadMore,
} from './components.js';
export type { PinView } from './components.js';
export { layout } from './layout.js';
export type { PageContext, PageOptions } from './layout.js';
export { homePage, popularPage } from './home.js';
export { describeGroup, groupCard, groupedPage } from './grouped.js';
export type { GroupView } from './grouped.js';
export { notificationItem, notificationsPage } from './notifications.js';
export type { NotificationView } from './notifications.js';
export { profilePage } from './profile.js';
export type { ProfileView } from './profile.js';
export { peopleList, pickUserPage } from './people.js';
export { boardPage } from './board.js';
export { pinPage } from './pin.js';
export { HUES, newPinPage } from './new-pin.js';
export type { NewPinForm } from './new-pin.js';
export { statsBody, statsPage } from './stats.js';
export type { StatsView } from './stats.js';
export { errorPage } from './error.js';
export { Pin as PinVerb } from '../feeds.js';
