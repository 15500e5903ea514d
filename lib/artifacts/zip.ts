import yauzl from 'yauzl';

/** What a look inside the Lambda package found. */
export interface ZipCheck {
  /** Why the zip cannot be used, or undefined when it can. */
  readonly problem?: string;
  /** How to fix the problem. */
  readonly fix?: string;
}

const UNIX_HOST = 3;
const EXEC_BITS = 0o111;

/**
 * Checks the vendor's Lambda package against the `provided.al2` contract: a readable zip with an entry named
 * `bootstrap` at its root that is executable. Only the central directory is read; nothing is extracted.
 */
export async function checkLambdaZip(file: string): Promise<ZipCheck> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(
        file,
        { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true },
        (err, z) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z)),
      ),
    );
  } catch (err) {
    return {
      problem: `is not a readable zip (${(err as Error).message})`,
      fix: 'download taegis-lambda-amd64.zip again from the Taegis console; do not unpack or re-pack it',
    };
  }
  try {
    const bootstrap = await findEntry(zip, 'bootstrap');
    if (!bootstrap) {
      return {
        problem: 'has no entry named "bootstrap" at its root (the provided.al2 runtime starts that file)',
        fix: 'use the vendor zip unchanged; if you re-packed it, zip the files themselves, not their folder',
      };
    }
    const host = bootstrap.versionMadeBy >> 8;
    const mode = (bootstrap.externalFileAttributes >>> 16) & 0o7777;
    // Zips that record no file type (0) are regular files; a symlink or anything else is not a program Lambda can run.
    const fileType = (bootstrap.externalFileAttributes >>> 16) & 0o170000;
    if (host === UNIX_HOST && fileType !== 0 && fileType !== 0o100000) {
      return {
        problem: `its "bootstrap" entry is not a regular file (type ${fileType.toString(8)}, e.g. a symbolic link)`,
        fix: 'use the vendor zip unchanged; if you re-packed it, zip the bootstrap file itself (zip without -y)',
      };
    }
    if (host !== UNIX_HOST || (mode & EXEC_BITS) === 0) {
      return {
        problem: `its "bootstrap" entry is not executable (mode ${host === UNIX_HOST ? mode.toString(8).padStart(4, '0') : 'unknown: zipped on a non-Unix system'})`,
        fix: 'use the vendor zip unchanged; if you must re-pack it, do so on Linux/macOS after "chmod 755 bootstrap"',
      };
    }
    return {};
  } catch (err) {
    return {
      problem: `is a damaged zip (${(err as Error).message})`,
      fix: 'download taegis-lambda-amd64.zip again from the Taegis console',
    };
  } finally {
    zip.close();
  }
}

function findEntry(zip: yauzl.ZipFile, name: string): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName === name) resolve(entry);
      else zip.readEntry();
    });
    zip.on('end', () => resolve(undefined));
    zip.on('error', reject);
    zip.readEntry();
  });
}
