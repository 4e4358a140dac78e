/**
 * The campus-records screen: a gateway answer becomes a page on the campus clock, and a full page is drawn whole, every
 * row, in both languages at the three resolutions (the table drops rows that do not fit, so this guards the page size).
 */
import test from 'ava';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { campusRecordsPage } from '../../runtime/ui/campus-records.ts';
import { ScreenHost } from '../../screens/screen-host.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import { CAMPUS_RECORDS_PAGE_SIZE } from '../../screens/view-model.ts';

test('an answer on the campus clock (Asia/Shanghai, UTC+8), its page count, and what is owed summed', (t) => {
  const item = { txnId: 'K001-00000001', kind: 'load', amount: 5000, at: '2025-09-01T16:01:00.000Z', kioskId: 'K001', state: 'done', card: '310300**********0001' } as const;
  const since = '2025-09-01T10:00:00.000Z';
  const page = campusRecordsPage({
    total: 5, page: 2, pageSize: 4, items: [item],
    pending: [{ txnId: 'K002-00000003', kind: 'load', amount: 3000, since, kioskId: 'K002' }, { txnId: 'K002-00000004', kind: 'load', amount: 1500, since, kioskId: 'K002' }],
  }, 'Asia/Shanghai');
  t.deepEqual(page, {
    items: [{ time: '2025-09-02 00:01', kind: 'load', amount: 5000, place: 'K001', state: 'done' }],
    page: 2, pages: 2, owed: { count: 2, amount: 4500 },
  });
  t.like(campusRecordsPage({ total: 0, page: 1, pageSize: 4, items: [], pending: [] }, 'Asia/Shanghai'), { pages: 1, owed: { count: 0, amount: 0 } });
});

for (const { width, height } of [{ width: 800, height: 480 }, { width: 1024, height: 600 }, { width: 1080, height: 1920 }]) {
  test(`a full page of campus records is drawn whole at ${width}x${height}`, async (t) => {
    for (const lang of ['zh', 'en'] as const) {
      const { view } = sampleViews(lang).find((s) => s.name === 'campus-records')!;
      t.is(view.campusRecords!.items.length, CAMPUS_RECORDS_PAGE_SIZE, 'the sample is a full page');
      const report = await new ScreenHost({ display: new PngSnapshotDisplay({ width, height }), width, height }).render(view);
      const drawn = report.texts.filter((x) => !x.truncated).map((x) => x.text);
      for (const amount of ['¥30.00', '¥200.00', '¥500.00', '¥1000.00']) t.true(drawn.includes(amount), `${lang} ${amount}`);
    }
  });
}
