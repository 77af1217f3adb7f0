import { isWarrenError, type WarrenError } from '../../shared/index.js';

/** The WarrenError (CONFIG_INVALID) that parsing settings threw; fails the test when nothing was thrown. */
export function configError(parse: () => unknown): WarrenError {
  try {
    parse();
  } catch (err) {
    if (isWarrenError(err)) return err;
    throw err;
  }
  throw new Error('expected CONFIG_INVALID, but the settings were accepted');
}
