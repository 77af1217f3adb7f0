/** The package ships no types: its data file maps each property to its value aliases → canonical names. */
declare module 'unicode-match-property-value-ecmascript/data/mappings.js' {
  const mappings: Map<string, Map<string, string>>;
  export default mappings;
}
