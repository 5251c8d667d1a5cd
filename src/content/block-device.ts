// Block devices (LVM volumes, zvols, loop devices, disks): their size, which stat does not give.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const SECTOR_BYTES = 512;

/** Linux's dev_t as major and minor numbers (glibc's gnu_dev_major and gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { major: bigint; minor: bigint } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major, minor };
}

/**
 * The device's size in bytes. Node has neither the BLKGETSIZE64 ioctl nor lseek(SEEK_END), and
 * fstat gives a block device size 0: the kernel says it in sysfs, in 512-byte sectors whatever the
 * device's own sector size. Without sysfs (a container that hides it), the size is found by reading
 * single bytes, halving the range each time.
 */
export function blockDeviceSize(devicePath: string, rdev: bigint): number {
  const { major, minor } = deviceNumbers(rdev);
  try {
    const sectors = readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim();
    if (/^\d+$/.test(sectors)) return Number(sectors) * SECTOR_BYTES;
  } catch {
    // No sysfs here: measure it.
  }
  return probedSize(devicePath);
}

/** The first sector that cannot be read, by bisection over 512-byte sectors (about 50 reads for 1 PiB). */
export function probedSize(devicePath: string): number {
  const fd = openSync(devicePath, 'r');
  try {
    const byte = Buffer.alloc(1);
    const readable = (sector: number): boolean => readSync(fd, byte, 0, 1, sector * SECTOR_BYTES) === 1;
    if (!readable(0)) return 0;
    let low = 0;
    let high = 1;
    while (readable(high)) {
      low = high;
      high *= 2;
    }
    // Sector `low` is readable, sector `high` is not.
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (readable(middle)) low = middle;
      else high = middle;
    }
    return high * SECTOR_BYTES;
  } finally {
    closeSync(fd);
  }
}
