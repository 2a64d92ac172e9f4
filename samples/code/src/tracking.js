// Sample front-end code (fake data, for the demo)
import ReactGA from "react-ga4";

const retention_days = "forever";
const supportPhone = "+31 20 1234567";

export function init() {
  ReactGA.initialize("G-XXXXXXX");
  console.log(`user signed in: ${user.email}`);
}
