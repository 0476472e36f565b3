from django.utils.translation import gettext_lazy as _

COUNTER_LABELS = {
    "received": _("Laporan diterima"),
    "verified": _("Diverifikasi"),
    "dispatched": _("Didisposisikan (pertama kali)"),
    "followed_up": _("Mendapat tindak lanjut pertama"),
    "responded": _("Jawaban diterbitkan"),
    "completed": _("Selesai"),
    "auto_completed": _("Selesai otomatis"),
    "archived": _("Diarsipkan"),
    "removed": _("Dihapus"),
    "reopened": _("Dibuka kembali"),
    "bounced": _("Dikembalikan/dialihkan"),
    "escalated": _("Eskalasi"),
    "staff_actions": _("Tindakan admin"),
    "ver_due": _("Tenggat verifikasi berakhir"),
    "ver_met": _("Verifikasi tepat waktu"),
    "ffu_due": _("Tenggat tindak lanjut pertama berakhir"),
    "ffu_met": _("Tindak lanjut pertama tepat waktu"),
    "res_due": _("Tenggat penyelesaian berakhir"),
    "res_met": _("Penyelesaian tepat waktu"),
    "rating_sum": _("Jumlah nilai kepuasan"),
    "rating_count": _("Jumlah penilaian"),
    "rating_ge4": _("Penilaian 4 atau 5"),
}
INDICATOR_LABELS = {
    "ver_on_time": _("Diverifikasi dalam batas waktu (standar 3 hari kerja), %"),
    "ffu_on_time": _("Tindak lanjut pertama dalam batas waktu (standar 5 hari kerja), %"),
    "res_on_time": _("Diselesaikan dalam batas waktu, %"),
    "follow_up_rate": _("Tingkat tindak lanjut, %"),
    "completion_rate": _("Tingkat penyelesaian, %"),
    "bounce_rate": _("Tingkat pengembalian/pengalihan, %"),
    "reopen_rate": _("Tingkat dibuka kembali, %"),
    "rating_mean": _("Rata-rata kepuasan (1–5)"),
    "rating_ge4_share": _("Penilaian 4 atau 5, %"),
    "auto_share": _("Selesai otomatis, % dari yang selesai"),
    "score": _("Skor kinerja (0–100)"),
}
# How each figure is computed, in plain words (shown on the public pages and below the staff dashboard).
FORMULAS = [
    (_("Laporan diterima"), _("Jumlah laporan yang dikirim pada periode ini (menurut tanggal WIB pengiriman).")),
    (
        INDICATOR_LABELS["ver_on_time"],
        _(
            "Dari laporan yang tenggat verifikasi dan disposisinya berakhir pada periode ini, berapa persen yang "
            "didisposisikan sebelum tenggat (biasanya 3 hari kerja sejak dikirim; jeda saat menunggu "
            "kelengkapan data pelapor tidak dihitung)."
        ),
    ),
    (
        INDICATOR_LABELS["ffu_on_time"],
        _(
            "Dari tenggat tindak lanjut pertama yang berakhir pada periode ini, berapa persen yang dipenuhi: "
            "instansi memberi tindak lanjut atau jawaban paling lambat 5 hari kerja setelah menerima laporan."
        ),
    ),
    (
        INDICATOR_LABELS["res_on_time"],
        _(
            "Dari tenggat penyelesaian yang berakhir pada periode ini, berapa persen yang dijawab tepat waktu "
            "(aspirasi dan permintaan informasi 5 hari kerja, pengaduan 14 hari kerja, pengaduan yang perlu "
            "pemeriksaan 60 hari kerja)."
        ),
    ),
    (
        INDICATOR_LABELS["follow_up_rate"],
        _("Laporan yang mendapat tindak lanjut pertama ÷ laporan yang didisposisikan pertama kali, pada periode ini."),
    ),
    (INDICATOR_LABELS["completion_rate"], _("Laporan yang selesai ÷ laporan yang diterima, pada periode ini.")),
    (
        INDICATOR_LABELS["bounce_rate"],
        _("Pengembalian (bukan wewenang) dan pengalihan ke instansi lain ÷ laporan yang didisposisikan."),
    ),
    (INDICATOR_LABELS["reopen_rate"], _("Laporan yang dibuka kembali oleh pelapor ÷ laporan yang selesai.")),
    (
        _("Median dan persentil ke-90"),
        _(
            "Separuh laporan selesai dalam jumlah hari kerja median atau kurang; 9 dari 10 laporan dalam jumlah "
            "hari kerja persentil ke-90 atau kurang. Hari kerja: Senin–Jumat tanpa libur nasional dan cuti "
            "bersama, menurut zona waktu instansi."
        ),
    ),
    (
        INDICATOR_LABELS["rating_mean"],
        _(
            "Rata-rata bintang (1–5) yang diberikan pelapor saat menerima jawaban; laporan yang "
            "selesai otomatis tidak dinilai."
        ),
    ),
    (
        INDICATOR_LABELS["score"],
        _(
            "40% × persentase diselesaikan tepat waktu + 30% × persentase tindak lanjut pertama tepat waktu + "
            "30% × kepuasan ((rata-rata bintang − 1) ÷ 4 × 100). Bagian yang belum punya data tidak dihitung "
            "dan bobot bagian lain dinaikkan agar tetap berjumlah 100%."
        ),
    ),
    (
        _("Tanggal dan instansi"),
        _(
            "Setiap kejadian dihitung pada tanggalnya (WIB) untuk instansi yang memegang laporan saat itu. "
            "Laporan rahasia tidak pernah dihitung dalam statistik publik."
        ),
    ),
]
