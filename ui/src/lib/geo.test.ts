import { describe, expect, it } from 'vitest';
import { centroid, cluster, fitProjection, pathOf, shadeClass, troopBorders, type Polygon } from './geo';

describe('projection', () => {
  it('fits the bbox inside the box, north up', () => {
    const p = fitProjection([-95, 36, -89, 41], 600, 500, 10);
    const [x0, y0] = p.project(-95, 41);
    const [x1, y1] = p.project(-89, 36);
    expect(x0).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(y0).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(x1).toBeLessThanOrEqual(590 + 1e-9);
    expect(y1).toBeLessThanOrEqual(490 + 1e-9);
    expect(y0).toBeLessThan(y1); // north is up
  });
  it('keeps proportions (longitude shrunk by cos latitude)', () => {
    const p = fitProjection([0, 59, 2, 61], 1000, 1000, 0);
    const [ax] = p.project(0, 60), [bx] = p.project(2, 60);
    const [, ay] = p.project(0, 59), [, by] = p.project(0, 61);
    expect((bx - ax) / (ay - by)).toBeCloseTo(Math.cos((60 * Math.PI) / 180), 3);
  });
  it('draws rings as closed SVG paths', () => {
    const p = fitProjection([0, 0, 1, 1], 100, 100, 0);
    expect(pathOf([[[[0, 0], [1, 0], [1, 1], [0, 0]]]], p)).toMatch(/^M.*Z$/);
  });
});

describe('troop borders', () => {
  // Three unit squares in a row: A | B | C; A and B in troop 1, C in troop 2.
  const sq = (x: number): Polygon => [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]];
  const features = [{ id: 'A', polys: [sq(0)] }, { id: 'B', polys: [sq(1)] }, { id: 'C', polys: [sq(2)] }];
  it('keeps only edges between different troops, plus the outline', () => {
    const { troop, outline } = troopBorders(features, (id) => (id === 'C' ? '2' : '1'));
    expect(troop).toHaveLength(1);
    expect(troop[0].a[0]).toBe(2);
    expect(outline).toHaveLength(8);
  });
  it('centres labels', () => {
    const [x, y] = centroid([sq(2)]);
    expect(x).toBeCloseTo(2.5);
    expect(y).toBeCloseTo(0.5);
  });
});

describe('clustering', () => {
  it('merges points within a cell and keeps order', () => {
    const c = cluster([{ x: 1, y: 1, item: 'p1' }, { x: 5, y: 5, item: 'p2' }, { x: 50, y: 50, item: 'p3' }], 20);
    expect(c).toHaveLength(2);
    const big = c.find((k) => k.items.length === 2)!;
    expect(big.items).toEqual(['p1', 'p2']);
    expect(big.x).toBe(3);
  });
  it('shades by open count on a log scale', () => {
    expect(shadeClass(0, 100)).toBe(0);
    expect(shadeClass(1, 100)).toBe(1);
    expect(shadeClass(100, 100)).toBe(5);
  });
});
