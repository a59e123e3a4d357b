// Prints every action of Segment's published SFMC destination as JSON: title, description, default
// subscription, field definitions (functions dropped) and hook names. Run from an installed oracle folder.
const name = '@segment/action-destinations/dist/destinations/salesforce-marketing-cloud'
const d = require(require.resolve(name, { paths: [process.cwd()] })).default
const out = {}
for (const [key, action] of Object.entries(d.actions)) {
  out[key] = {
    title: action.title,
    description: action.description,
    defaultSubscription: action.defaultSubscription ?? null,
    fields: action.fields,
    hooks: action.hooks ? Object.keys(action.hooks) : []
  }
}
console.log(JSON.stringify(out))
